using Microsoft.Extensions.Logging;
using SlmCluster.Inference;
using SlmCluster.Testing;
using Xunit;

namespace SlmCluster.UnitTests.Inference;

/// <summary>
/// stories260K loaded once, with LoRA adapters for it written into a temporary folder by libggml's gguf functions:
/// two different ones on attn_q and attn_v of every layer (rank 8), and one whose B matrices are zero.
/// </summary>
public sealed class LoraEngineFixture : IAsyncLifetime
{
    public const string First = "first";
    public const string Second = "second";
    public const string ZeroB = "zero-b";

    private readonly string _folder = Directory.CreateTempSubdirectory("slm-lora-").FullName;

    internal CapturingLoggerProvider Logs { get; } = new();

    public ILoggerFactory LoggerFactory { get; private set; } = null!;

    public LlamaModel Model { get; private set; } = null!;

    public string Folder => _folder;

    public IReadOnlyList<AdapterFile> Adapters { get; private set; } = [];

    public Task InitializeAsync()
    {
        LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Debug).AddProvider(Logs));
        Model = LlamaModel.Load(new ModelLoadOptions { Path = TestModels.Stories260K }, LoggerFactory);
        Adapters =
        [
            Write(First, new LoraAdapterSpec { Seed = 11 }),
            Write(Second, new LoraAdapterSpec { Seed = 22 }),
            Write(ZeroB, new LoraAdapterSpec { Seed = 33, ZeroB = true }),
        ];
        return Task.CompletedTask;
    }

    /// <summary>Writes an adapter for stories260K into the fixture's folder.</summary>
    public AdapterFile Write(string name, LoraAdapterSpec spec, string? baseModel = null)
    {
        string path = Path.Combine(_folder, name + ".gguf");
        GgufMetadataWriter.WriteLoraAdapter(baseModel ?? TestModels.Stories260K, path, spec);
        return new AdapterFile(name, path);
    }

    /// <summary>A new engine over the shared model with <paramref name="adapters"/> (the fixture's three by default); the caller disposes it.</summary>
    public LlamaEngine StartEngine(int slots, IReadOnlyList<AdapterFile>? adapters = null, int adapterTurnSteps = 16) =>
        LlamaEngine.Start(Model, new EngineOptions
        {
            Threads = 1,
            Slots = slots,
            // Greedy output must not depend on what else is batched (see EngineOptions.BatchInvariant).
            BatchInvariant = true,
            Adapters = adapters ?? Adapters,
            AdapterTurnSteps = adapterTurnSteps,
        }, LoggerFactory);

    public async Task DisposeAsync()
    {
        Model.Dispose();
        LoggerFactory.Dispose();
        Directory.Delete(_folder, recursive: true);
        await Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class LoraEngineCollection : ICollectionFixture<LoraEngineFixture>
{
    public const string Name = "stories260K with LoRA adapters";
}

using Microsoft.Extensions.Logging;
using SlmCluster.Inference;
using Xunit;

namespace SlmCluster.UnitTests.Inference;

/// <summary>
/// stories260K loaded once, an eight-slot engine over it shared by the tests of <see cref="BatchingEngineCollection"/>,
/// and fresh engines on demand for runs that must start from an empty KV cache.
/// </summary>
public sealed class BatchingEngineFixture : IAsyncLifetime
{
    public const int Slots = 8;

    internal CapturingLoggerProvider Logs { get; } = new();

    public ILoggerFactory LoggerFactory { get; private set; } = null!;

    public LlamaModel Model { get; private set; } = null!;

    /// <summary>Eight slots, one thread (ggml threads spin at barriers, which crawls on a busy 2-core box).</summary>
    public LlamaEngine Engine { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(builder =>
            builder.SetMinimumLevel(LogLevel.Trace).AddProvider(Logs));
        Model = LlamaModel.Load(new ModelLoadOptions { Path = TestModels.Stories260K }, LoggerFactory);
        Engine = StartEngine();
        await Task.CompletedTask;
    }

    /// <summary>A new engine over the shared model (empty KV cache); the caller disposes it.</summary>
    public LlamaEngine StartEngine(int slots = Slots, int batchSize = 512, int contextSize = 0, int maxQueue = 64, bool batchInvariant = true,
        bool unifiedKvCache = false) =>
        LlamaEngine.Start(Model, new EngineOptions
        {
            Threads = 1,
            Slots = slots,
            BatchSize = batchSize,
            ContextSize = contextSize,
            MaxQueue = maxQueue,
            // Greedy output must not depend on what else is batched (see EngineOptions.BatchInvariant).
            BatchInvariant = batchInvariant,
            UnifiedKvCache = unifiedKvCache,
        }, LoggerFactory);

    /// <summary>What <paramref name="request"/> gives alone on a fresh one-slot engine: nothing batched with it, nothing cached.</summary>
    public async Task<Generated> GenerateAloneAsync(GenerationRequest request)
    {
        await using LlamaEngine alone = StartEngine(slots: 1);
        return await Generated.CollectAsync(alone, request);
    }

    public async Task DisposeAsync()
    {
        await Engine.DisposeAsync();
        Model.Dispose();
        LoggerFactory.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BatchingEngineCollection : ICollectionFixture<BatchingEngineFixture>
{
    public const string Name = "stories260K eight-slot engine";
}

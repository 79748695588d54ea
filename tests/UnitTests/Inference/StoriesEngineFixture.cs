using Microsoft.Extensions.Logging;
using SlmCluster.Inference;
using Xunit;

namespace SlmCluster.UnitTests.Inference;

/// <summary>One engine over stories260K shared by the tests of <see cref="StoriesEngineCollection"/>.</summary>
public sealed class StoriesEngineFixture : IAsyncLifetime
{
    internal CapturingLoggerProvider Logs { get; } = new();

    public ILoggerFactory LoggerFactory { get; private set; } = null!;

    public LlamaEngine Engine { get; private set; } = null!;

    public Task InitializeAsync()
    {
        LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(builder =>
            builder.SetMinimumLevel(LogLevel.Trace).AddProvider(Logs));
        // One thread: ggml threads spin at barriers, which crawls when the 2-core CI box is busy.
        Engine = LlamaEngine.Start(new EngineOptions { ModelPath = TestModels.Stories260K, Threads = 1 }, LoggerFactory);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await Engine.DisposeAsync();
        LoggerFactory.Dispose();
    }

    /// <summary>Runs a request to the end; returns the streamed text, the pieces and the final result.</summary>
    public async Task<Generated> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default) =>
        await Generated.CollectAsync(Engine, request, cancellationToken);
}

[CollectionDefinition(Name)]
public sealed class StoriesEngineCollection : ICollectionFixture<StoriesEngineFixture>
{
    public const string Name = "stories260K engine";
}

/// <summary>What a finished stream delivered.</summary>
public sealed record Generated(string Text, IReadOnlyList<GenerationUpdate> Updates, GenerationResult Final)
{
    public static async Task<Generated> CollectAsync(IInferenceEngine engine, GenerationRequest request, CancellationToken cancellationToken = default,
        Action<GenerationUpdate>? onUpdate = null)
    {
        var updates = new List<GenerationUpdate>();
        await foreach (GenerationUpdate update in engine.GenerateAsync(request, cancellationToken))
        {
            updates.Add(update);
            onUpdate?.Invoke(update);
        }
        Assert.NotEmpty(updates);
        Assert.All(updates.SkipLast(1), u => Assert.Null(u.Final));
        GenerationResult final = Assert.IsType<GenerationResult>(updates[^1].Final);
        return new Generated(string.Concat(updates.Select(u => u.Text)), updates, final);
    }
}

using Microsoft.Extensions.Logging.Abstractions;
using SlmCluster.Inference;
using Xunit;

namespace SlmCluster.UnitTests.Inference;

/// <summary>
/// An engine over the 125M-shaped benchmark model: slow enough per token (tens of ms) that a request is reliably
/// still running while a test cancels it or fills the queue. The queue holds one waiting request.
/// </summary>
public sealed class BenchEngineFixture : IAsyncLifetime
{
    public LlamaEngine Engine { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Engine = LlamaEngine.Start(
            new EngineOptions { ModelPath = TestModels.Bench, Threads = 1, MaxQueue = 1, ContextSize = 512 },
            NullLoggerFactory.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Engine.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class BenchEngineCollection : ICollectionFixture<BenchEngineFixture>
{
    public const string Name = "bench model engine";
}

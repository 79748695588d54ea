using Orleans.Runtime;
using SlmCluster.Contracts;
using SlmCluster.Gateway.Routing;

namespace SlmCluster.UnitTests.Gateway;

/// <summary>
/// The front door's status read of a worker grain: a read that is never answered (sent just before the worker's process
/// died) does not hold the worker in routing for the whole timeout, because the read is sent again and a new call to a
/// dead silo fails at once.
/// </summary>
public sealed class WorkerStatusReadTests
{
    [Fact]
    public async Task An_unanswered_read_is_sent_again_and_the_second_reads_failure_settles_it()
    {
        var grain = new ScriptedGrain(
            new TaskCompletionSource<WorkerStatus>().Task, // in flight when the process died: never answered
            Task.FromException<WorkerStatus>(new SiloUnavailableException("connection refused")));

        await Assert.ThrowsAsync<SiloUnavailableException>(() => WorkerDirectory.ReadStatusAsync(grain, CancellationToken.None));
        Assert.Equal(2, grain.Calls);
    }

    [Fact]
    public async Task A_busy_worker_answering_the_first_read_late_is_read_as_alive()
    {
        var late = new TaskCompletionSource<WorkerStatus>();
        var grain = new ScriptedGrain(late.Task, new TaskCompletionSource<WorkerStatus>().Task);
        var read = WorkerDirectory.ReadStatusAsync(grain, CancellationToken.None);
        await grain.Called(2); // no answer yet: asked again
        late.SetResult(new WorkerStatus { WorkerId = "w1" });

        Assert.Equal("w1", (await read).WorkerId);
    }

    [Fact]
    public async Task An_answer_to_the_first_read_sends_no_other()
    {
        var grain = new ScriptedGrain(Task.FromResult(new WorkerStatus { WorkerId = "w1" }));

        Assert.Equal("w1", (await WorkerDirectory.ReadStatusAsync(grain, CancellationToken.None)).WorkerId);
        Assert.Equal(1, grain.Calls);
    }

    /// <summary>Answers the n-th status call with the n-th task (the last one for any after it).</summary>
    private sealed class ScriptedGrain(params Task<WorkerStatus>[] answers) : IModelWorkerGrain
    {
        private readonly TaskCompletionSource[] _called = Enumerable.Range(0, 8).Select(_ => new TaskCompletionSource()).ToArray();
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public Task Called(int n) => _called[n - 1].Task.WaitAsync(TimeSpan.FromSeconds(30));

        public Task<WorkerStatus> GetStatus()
        {
            var n = Interlocked.Increment(ref _calls);
            _called[Math.Min(n, _called.Length) - 1].TrySetResult();
            return answers[Math.Min(n, answers.Length) - 1];
        }

        public IAsyncEnumerable<GenerationPiece> Generate(GenerationCall call, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<int> CountPromptTokens(GenerationCall call) => throw new NotSupportedException();

        public Task<EmbeddingAnswer> Embed(EmbeddingCall call, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}

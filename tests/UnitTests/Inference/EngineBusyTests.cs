using System.Diagnostics;
using SlmCluster.Inference;
using Xunit;

namespace SlmCluster.UnitTests.Inference;

[Collection(BenchEngineCollection.Name)]
public sealed class EngineBusyTests(BenchEngineFixture fixture)
{
    private static GenerationRequest Long => new() { Prompt = "Once upon a time", MaxTokens = 400, IgnoreEndOfSequence = true };

    [Fact]
    public async Task Cancelling_mid_stream_ends_quickly_with_reason_Cancelled_and_the_engine_serves_the_next_request()
    {
        using var cancellation = new CancellationTokenSource();
        var updates = new List<GenerationUpdate>();
        var cancelledAt = new Stopwatch();
        await foreach (GenerationUpdate update in fixture.Engine.GenerateAsync(Long, cancellation.Token))
        {
            updates.Add(update);
            if (updates.Count == 2)
            {
                cancellation.Cancel();
                cancelledAt.Start();
            }
        }

        GenerationResult final = Assert.IsType<GenerationResult>(updates[^1].Final);
        Assert.Equal(GenerationFinishReason.Cancelled, final.FinishReason);
        Assert.InRange(final.CompletionTokens, 2, 399);
        Assert.True(cancelledAt.Elapsed < TimeSpan.FromSeconds(2), $"took {cancelledAt.Elapsed} to stop");

        Generated next = await Generated.CollectAsync(fixture.Engine, Long with { MaxTokens = 3 });
        Assert.Equal(GenerationFinishReason.Length, next.Final.FinishReason);
        Assert.Equal(3, next.Final.CompletionTokens);
    }

    [Fact]
    public async Task Request_beyond_a_full_queue_is_refused_as_ResourceExhausted()
    {
        using var cancelRunning = new CancellationTokenSource();
        using var cancelWaiting = new CancellationTokenSource();
        await using IAsyncEnumerator<GenerationUpdate> running = fixture.Engine.GenerateAsync(Long, cancelRunning.Token).GetAsyncEnumerator();
        Assert.True(await running.MoveNextAsync()); // first piece: the engine is busy with it
        Assert.Equal(1, fixture.Engine.ActiveSequences);

        await using IAsyncEnumerator<GenerationUpdate> waiting = fixture.Engine.GenerateAsync(Long, cancelWaiting.Token).GetAsyncEnumerator();
        ValueTask<bool> waitingFirst = waiting.MoveNextAsync(); // admitted: waits in the queue (MaxQueue = 1)
        Assert.Equal(1, fixture.Engine.QueueDepth);

        InferenceException error = await Assert.ThrowsAsync<InferenceException>(async () =>
        {
            await foreach (GenerationUpdate _ in fixture.Engine.GenerateAsync(Long))
            {
            }
        });

        Assert.Equal(InferenceErrorKind.ResourceExhausted, error.Kind);
        Assert.Contains("queue is full (1 waiting); retry after", error.Message);
        Assert.NotNull(error.RetryAfter);

        cancelWaiting.Cancel();
        cancelRunning.Cancel();
        Assert.True(await waitingFirst);
        Assert.Equal(GenerationFinishReason.Cancelled, (await DrainAsync(waiting, waiting.Current)).FinishReason);
        Assert.Equal(GenerationFinishReason.Cancelled, (await DrainAsync(running, running.Current)).FinishReason);
    }

    private static async Task<GenerationResult> DrainAsync(IAsyncEnumerator<GenerationUpdate> stream, GenerationUpdate current)
    {
        while (current.Final is null && await stream.MoveNextAsync())
        {
            current = stream.Current;
        }
        return current.Final ?? throw new InvalidOperationException("the stream ended without a final update");
    }
}

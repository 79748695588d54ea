using Microsoft.Extensions.DependencyInjection;
using SlmCluster.Contracts;
using SlmCluster.GrainTests.Infrastructure;
using SlmCluster.Inference;
using SlmCluster.Worker.Configuration;

namespace SlmCluster.GrainTests;

/// <summary>A generation streamed from a worker grain on another silo.</summary>
[Collection(ClusterCollection.Name)]
public sealed class StreamingTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Generate_streams_text_pieces_then_one_summary_with_usage_finish_reason_and_worker()
    {
        var cluster = await fixture.SharedClusterAsync();
        var worker = cluster.Workers[0];
        var grain = WorkerCluster.GrainsOn(cluster.Workers[1].Handle).GetGrain<IModelWorkerGrain>(worker.Key);
        var call = new GenerationCall { Model = TestModels.Stories260KId, Prompt = "Once upon a time", MaxTokens = 24, IgnoreEndOfSequence = true };

        var pieces = new List<GenerationPiece>();
        await foreach (var piece in grain.Generate(call))
        {
            pieces.Add(piece);
        }

        Assert.True(pieces.Count > 10, $"the text came in pieces as it was generated, not at once ({pieces.Count} pieces)");
        Assert.All(pieces.SkipLast(1), p => Assert.Null(p.Summary));
        var summary = Assert.IsType<GenerationSummary>(pieces[^1].Summary);
        Assert.Equal(PieceFinishReason.Length, summary.FinishReason);
        Assert.Equal(24, summary.CompletionTokens);
        Assert.True(summary.PromptTokens > 0, "prompt tokens are counted");
        Assert.Equal(worker.WorkerId, summary.WorkerId);
        Assert.Equal(TestModels.Stories260KId, summary.Model);
        Assert.InRange(summary.TimeToFirstTokenMs, 0, summary.TotalMs);
        Assert.False(string.IsNullOrWhiteSpace(string.Concat(pieces.Select(p => p.Text))));
    }

    [Fact]
    public async Task Cancelling_the_token_mid_stream_stops_the_generation_on_the_worker()
    {
        var cluster = await fixture.SharedClusterAsync();
        var worker = cluster.Workers[0];
        using var requests = new WorkerRequests(worker);
        var grain = WorkerCluster.GrainsOn(cluster.Workers[1].Handle).GetGrain<IModelWorkerGrain>(worker.Key);
        // Far more than is read before the cancel: the engine would take a long while to write them all.
        const int maxTokens = 2000;
        var call = new GenerationCall { Model = TestModels.Stories260KId, Prompt = "Once upon a time", MaxTokens = maxTokens, IgnoreEndOfSequence = true };
        using var cancellation = new CancellationTokenSource();
        var logged = worker.Log.Entries.Count;

        var received = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var piece in grain.Generate(call, cancellation.Token))
            {
                Assert.Null(piece.Summary);
                if (++received == 3)
                {
                    await cancellation.CancelAsync();
                }
            }
        });

        // The worker ended the request as cancelled, the engine stopped it early, and nothing of it is left running.
        await WorkerCluster.WaitUntilAsync(() => requests.Count("cancelled") == 1, $"the worker counted the request as cancelled (counted: {requests})");
        var finished = Assert.Single(worker.Log.Entries.Skip(logged), e => e.Category == typeof(LlamaEngine).FullName && e.EventId.Id == 3);
        Assert.Equal(GenerationFinishReason.Cancelled, finished.Values["FinishReason"]);
        Assert.InRange((int)finished.Values["CompletionTokens"]!, received, maxTokens - 1);
        Assert.Equal(0, requests.Count("ok"));
        await WorkerCluster.WaitUntilAsync(() => worker.Services.GetRequiredService<WorkerState>().InFlight == 0, "the worker holds no request");
        var status = await grain.GetStatus();
        Assert.Equal(0, status.ActiveSequences);
        Assert.Equal(0, status.QueueDepth);
    }

    [Fact]
    public async Task A_request_for_a_model_the_worker_does_not_serve_fails_before_any_piece()
    {
        var cluster = await fixture.SharedClusterAsync();
        var worker = cluster.Workers[0];
        var grain = WorkerCluster.GrainsOn(cluster.Workers[1].Handle).GetGrain<IModelWorkerGrain>(worker.Key);
        var call = new GenerationCall { Model = "no-such-model", Prompt = "Once upon a time", MaxTokens = 4 };

        var pieces = 0;
        var error = await Assert.ThrowsAsync<ModelWorkerException>(async () =>
        {
            await foreach (var _ in grain.Generate(call))
            {
                pieces++;
            }
        });

        Assert.Equal(0, pieces);
        Assert.Equal(WorkerErrorKind.NotFound, error.Kind);
        Assert.Contains("'no-such-model'", error.Message, StringComparison.Ordinal);
        Assert.Contains(worker.WorkerId, error.Message, StringComparison.Ordinal);
    }
}

using Grpc.Core;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests;

/// <summary>
/// What a gRPC caller of the gateway sees of a call's life on the library stack: cancelling stops the generation on
/// the worker, a deadline is carried to the worker, and a message over the size limit is refused.
/// </summary>
public sealed class GrpcCallLifecycleTests(SingleSlotClusterFixture cluster) : IClassFixture<SingleSlotClusterFixture>
{
    private static GenerateRequest Long() =>
        new() { Prompt = "Once upon a time", MaxTokens = 4000, IgnoreEos = true, Cache = new CachePolicy { Bypass = true } };

    private InferenceClient Gateway => new(cluster.Gateway.Channel);

    [Fact]
    public async Task Cancelling_a_stream_stops_its_generation_on_the_worker()
    {
        var cancelledBefore = await WorkerRequestsAsync("cancelled");
        using (var cancel = new CancellationTokenSource())
        {
            using var call = Gateway.GenerateStream(Long(), new CallOptions(cancellationToken: cancel.Token));
            Assert.True(await call.ResponseStream.MoveNext(cancel.Token));
            await cancel.CancelAsync();
            var e = await Assert.ThrowsAsync<RpcException>(async () =>
            {
                while (await call.ResponseStream.MoveNext(CancellationToken.None))
                {
                }
            });
            Assert.Equal(StatusCode.Cancelled, e.StatusCode);
        }

        // Run to its end the generation would take seconds and count as ok; the worker's books say it was cancelled.
        await Eventually.HoldsAsync(async () => await WorkerRequestsAsync("cancelled") > cancelledBefore, seconds: 15, pollMilliseconds: 50);
        await AssertServesAsync();
    }

    [Fact]
    public async Task A_deadline_reaches_the_worker_and_ends_the_generation_there()
    {
        var cancelledBefore = await WorkerRequestsAsync("cancelled");
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            Gateway.GenerateAsync(Long(), new CallOptions(deadline: DateTime.UtcNow.AddMilliseconds(300))).ResponseAsync);
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);

        await Eventually.HoldsAsync(async () => await WorkerRequestsAsync("cancelled") > cancelledBefore, seconds: 15, pollMilliseconds: 50);
        await AssertServesAsync();
    }

    [Fact]
    public async Task A_request_over_the_message_size_limit_is_RESOURCE_EXHAUSTED_and_the_gateway_keeps_serving()
    {
        var huge = new GenerateRequest { Prompt = new string('a', 5 * 1024 * 1024), MaxTokens = 1 };
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            Gateway.GenerateAsync(huge, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30))).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("message", e.Status.Detail, StringComparison.OrdinalIgnoreCase);
        await AssertServesAsync();
    }

    private async Task AssertServesAsync()
    {
        // The worker's only slot is free again: a new prompt (nothing cached or shared can stand in) is answered.
        var response = await Gateway.GenerateAsync(
            new GenerateRequest { Prompt = $"Once upon a time {Guid.NewGuid():N}", MaxTokens = 2, Cache = new CachePolicy { Bypass = true } },
            new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)));
        Assert.Equal(2, response.Usage.CompletionTokens);
    }

    /// <summary>Requests the worker ended with <paramref name="status"/>, from its /metrics.</summary>
    private Task<double> WorkerRequestsAsync(string status) => cluster.Worker.MetricAsync("slm_worker_requests_total", $"status=\"{status}\"");

}

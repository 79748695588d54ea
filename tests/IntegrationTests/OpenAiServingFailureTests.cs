using System.Diagnostics;
using System.Net;
using Grpc.Core;
using Grpc.Health.V1;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Testing;
using HealthClient = Grpc.Health.V1.Health.HealthClient;

namespace SlmCluster.IntegrationTests;

/// <summary>What an OpenAI client sees when the cluster cannot serve: full queues, no workers, deadlines, and its own disconnect.</summary>
public sealed class OpenAiServingFailureTests(SingleSlotClusterFixture cluster) : IClassFixture<SingleSlotClusterFixture>
{
    // Thousands of tokens take this model seconds on one thread: long enough to hold the only slot.
    private const string Long = """{"prompt":"Once upon a time","max_tokens":1900,"ignore_eos":true,"temperature":0}""";
    private const string Short = """{"prompt":"Once upon a time","max_tokens":4,"temperature":0}""";

    [Fact]
    public async Task Embeddings_from_a_model_served_for_generation_only_are_a_400_naming_the_model()
    {
        using var http = new OpenAiHttpClient(cluster.Gateway.HttpAddress);

        var response = await http.PostAsync("/v1/embeddings", $$"""{"model":"{{ClusterFixture.ModelId}}","input":"Once upon a time"}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("model", response.Error.GetProperty("param").GetString());
        Assert.Contains("generation only", response.Error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_full_worker_queue_is_429_with_retry_after_and_the_request_can_be_retried()
    {
        using var client = new OpenAiHttpClient(cluster.Gateway.HttpAddress);
        await WaitUntilServedAsync(client);

        // One slot and one place in the queue: of four long requests at once, some must be turned away.
        // Their prompts differ, so the response cache cannot answer them all from one generation.
        using var cancel = new CancellationTokenSource();
        var pending = Enumerable.Range(0, 4)
            .Select(i => client.PostAsync("/v1/completions", Long.Replace("Once upon a time", $"Once upon a time {i}"), cancel.Token))
            .ToList();
        OpenAiResponse? refused = null;
        while (refused is null && pending.Count > 0)
        {
            var done = await Task.WhenAny(pending);
            pending.Remove(done);
            refused = (await done) is { Status: HttpStatusCode.TooManyRequests } r ? r : null;
        }

        Assert.NotNull(refused);
        Assert.Equal("rate_limit_error", refused.Error.GetProperty("type").GetString());
        Assert.Contains("capacity", refused.Error.GetProperty("message").GetString());
        Assert.NotNull(refused.Headers.RetryAfter);

        // Hanging up frees the slot and the queue: the accepted generations are cancelled with their clients.
        await cancel.CancelAsync();
        foreach (var request in pending)
        {
            try
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, (await request).Status);
            }
            catch (OperationCanceledException)
            {
            }
        }

        await WaitUntilServedAsync(client);
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_stream_cancels_its_generation()
    {
        using var client = new OpenAiHttpClient(cluster.Gateway.HttpAddress);
        await WaitUntilServedAsync(client);
        var cancelledBefore = await CancelledOnWorkerAsync();
        using (var cancel = new CancellationTokenSource())
        {
            var running = await client.PostStreamingAsync("/v1/completions", Long.Replace("}", ""","stream":true}"""), cancel.Token);
            var body = await running.Content.ReadAsStreamAsync(cancel.Token);
            await body.ReadExactlyAsync(new byte[64], cancel.Token);
            await cancel.CancelAsync();
            await body.DisposeAsync();
            running.Dispose();
        }

        // The worker's own books say the generation ended as cancelled (run to its end it would count as ok).
        await Eventually.HoldsAsync(async () => await CancelledOnWorkerAsync() > cancelledBefore, seconds: 15, pollMilliseconds: 50);

        // And its only slot is free again: a new prompt (no cached or coalesced answer can stand in) is served.
        var after = await client.PostAsync("/v1/completions", Short.Replace("Once upon a time", $"Once upon a time {Guid.NewGuid():N}"));
        Assert.Equal(HttpStatusCode.OK, after.Status);
    }

    /// <summary>Requests the worker ended as cancelled, from its /metrics.</summary>
    private Task<double> CancelledOnWorkerAsync() => cluster.Worker.MetricAsync("slm_worker_requests_total", "status=\"cancelled\"");

    [Fact]
    public async Task A_request_past_the_HTTP_timeout_is_504_and_a_stream_past_it_ends_with_an_error_event()
    {
        // A second gateway silo in the same cluster, with a short HTTP timeout.
        await using var gateway = ServiceProcess.StartGateway(cluster.Redis, ServiceProcess.WithoutResponseCache, "--Gateway:HttpRequestTimeout=00:00:00.300");
        await gateway.WaitHealthyAsync();
        using var client = new OpenAiHttpClient(gateway.HttpAddress);

        var whole = await client.PostAsync("/v1/completions", Long);
        var (stream, events) = await client.StreamAsync("/v1/chat/completions",
            """{"messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":1900,"ignore_eos":true,"stream":true}""");

        Assert.Equal(HttpStatusCode.GatewayTimeout, whole.Status);
        Assert.Equal("timeout_error", whole.Error.GetProperty("type").GetString());

        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        Assert.True(events.Count > 2, "the stream should have started before the deadline");
        var last = events[^1];
        Assert.Equal("error", last.Event);
        Assert.Equal("timeout_error", last.Json.GetProperty("error").GetProperty("type").GetString());
        Assert.DoesNotContain(events, e => e.Data == "[DONE]");
        await WaitUntilServedAsync(client);
    }

    [Fact]
    public async Task No_healthy_worker_is_503_with_a_message_a_person_can_act_on()
    {
        // A cluster of its own, with no worker silo in it.
        await using var redis = await LocalRedisServer.StartAsync();
        await using var gateway = ServiceProcess.StartGateway(redis);
        await WaitNotServingAsync(gateway);
        using var client = new OpenAiHttpClient(gateway.HttpAddress);

        var chat = await client.PostAsync("/v1/chat/completions", """{"model":"stories260K","messages":[{"role":"user","content":"hi"}]}""");
        var completion = await client.PostAsync("/v1/completions", """{"prompt":"hi","stream":true}""");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, chat.Status);
        Assert.Equal("server_error", chat.Error.GetProperty("type").GetString());
        Assert.Contains("start a worker", chat.Error.GetProperty("message").GetString());
        Assert.NotNull(chat.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, completion.Status);
        Assert.Equal("application/json", completion.ContentType);
    }

    /// <summary>Waits until the single slot is free again, so each test starts from an idle worker.</summary>
    private static async Task WaitUntilServedAsync(OpenAiHttpClient client)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await client.PostAsync("/v1/completions", Short)).Status != HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < deadline, "the worker did not become free within 30 s");
            await Task.Delay(50);
        }
    }

    private static async Task WaitNotServingAsync(ServiceProcess gateway)
    {
        var health = new HealthClient(gateway.Channel);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                var h = await health.CheckAsync(new HealthCheckRequest(), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(2)));
                if (h.Status == HealthCheckResponse.Types.ServingStatus.NotServing)
                {
                    return;
                }
            }
            catch (RpcException)
            {
            }

            Assert.True(DateTime.UtcNow < deadline, "the gateway did not report NOT_SERVING within 30 s");
            await Task.Delay(50);
        }
    }
}

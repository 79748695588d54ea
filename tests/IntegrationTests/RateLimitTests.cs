using System.Net;
using Grpc.Core;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;
using static SlmCluster.IntegrationTests.Infrastructure.SecuredClusterFixture;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests;

/// <summary>Per-tenant limits on requests and tokens, the same on both APIs, each tenant on its own.</summary>
[Collection(SecuredClusterCollection.Name)]
public sealed class RateLimitTests(SecuredClusterFixture cluster)
{
    private const string Completion = """{"prompt":"Once upon a time","max_tokens":2,"temperature":0}""";

    private InferenceClient Grpc => new(cluster.Gateway.Channel);

    [Fact]
    public async Task Requests_over_a_tenants_limit_are_429_on_HTTP_and_RESOURCE_EXHAUSTED_on_gRPC_with_retry_after()
    {
        using var alpha = new OpenAiHttpClient(cluster.Gateway.HttpAddress, AlphaKey);
        using var gamma = new OpenAiHttpClient(cluster.Gateway.HttpAddress, GammaKey);

        // alpha may start 3 a minute: two over HTTP and one over gRPC use them up.
        Assert.Equal(HttpStatusCode.OK, (await alpha.PostAsync("/v1/completions", Completion)).Status);
        Assert.Equal(HttpStatusCode.OK, (await alpha.PostAsync("/v1/completions", Completion)).Status);
        await Grpc.GenerateAsync(new GenerateRequest { Prompt = "Once", MaxTokens = 2 }, WithKey(AlphaKey));

        var refused = await alpha.PostAsync("/v1/completions", Completion);
        var refusedGrpc = await Assert.ThrowsAsync<RpcException>(() =>
            Grpc.GenerateAsync(new GenerateRequest { Prompt = "Once", MaxTokens = 2 }, WithKey(AlphaKey)).ResponseAsync);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.Status);
        Assert.Equal("rate_limit_exceeded", refused.Error.GetProperty("code").GetString());
        Assert.Contains("3 requests per minute", refused.Error.GetProperty("message").GetString());
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20));
        Assert.Equal(StatusCode.ResourceExhausted, refusedGrpc.StatusCode);
        Assert.InRange(int.Parse(refusedGrpc.Trailers.GetValue("retry-after")!, System.Globalization.CultureInfo.InvariantCulture), 1, 20);

        // Listing models is not a generation, and other tenants have their own limits.
        Assert.Equal(HttpStatusCode.OK, (await alpha.GetAsync("/v1/models")).Status);
        Assert.Equal(HttpStatusCode.OK, (await gamma.PostAsync("/v1/completions", Completion)).Status);
    }

    [Fact]
    public async Task A_tenant_over_its_token_budget_is_refused_until_it_refills()
    {
        using var beta = new OpenAiHttpClient(cluster.Gateway.HttpAddress, BetaKey);

        // beta has 60 tokens a minute; one request of 5 prompt + 100 completion tokens overdraws it.
        var first = await beta.PostAsync("/v1/completions", """{"prompt":"Once upon a time","max_tokens":100,"ignore_eos":true}""");
        var second = await beta.PostAsync("/v1/completions", Completion);
        var secondGrpc = await Assert.ThrowsAsync<RpcException>(() =>
            Grpc.GenerateAsync(new GenerateRequest { Prompt = "Once", MaxTokens = 2 }, WithKey(BetaKey)).ResponseAsync);

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.Status);
        Assert.Contains("60 tokens per minute", second.Error.GetProperty("message").GetString());
        // About 46 of 60 tokens short: most of a minute, never more.
        Assert.InRange(second.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60));
        Assert.Equal(StatusCode.ResourceExhausted, secondGrpc.StatusCode);
    }

    [Fact]
    public async Task A_streamed_gRPC_generation_is_charged_to_its_tenant_too()
    {
        using var delta = new OpenAiHttpClient(cluster.Gateway.HttpAddress, DeltaKey);
        using (var call = Grpc.GenerateStream(new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 100, IgnoreEos = true }, WithKey(DeltaKey)))
        {
            await foreach (var _ in call.ResponseStream.ReadAllAsync())
            {
            }
        }

        var after = await delta.PostAsync("/v1/completions", """{"prompt":"Once","max_tokens":2,"stream":true}""");

        Assert.Equal(HttpStatusCode.TooManyRequests, after.Status);
        Assert.Equal("application/json", after.ContentType);
        Assert.Equal("rate_limit_error", after.Error.GetProperty("type").GetString());
    }
}

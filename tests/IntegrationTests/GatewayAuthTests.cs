using System.Net;
using Grpc.Core;
using Grpc.Health.V1;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;
using SlmCluster.Testing;
using static SlmCluster.IntegrationTests.Infrastructure.SecuredClusterFixture;
using HealthClient = Grpc.Health.V1.Health.HealthClient;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests;

/// <summary>API keys in front of both APIs: configured as hashes, mapped to tenants, required when configured.</summary>
[Collection(SecuredClusterCollection.Name)]
public sealed class GatewayAuthTests(SecuredClusterFixture cluster)
{
    private const string Chat = """{"messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":4,"temperature":0}""";

    private static GenerateRequest Request() => new() { Prompt = "Once upon a time", MaxTokens = 4 };

    private InferenceClient Grpc => new(cluster.Gateway.Channel);

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer sk-not-a-configured-key")]
    [InlineData("Bearer")]
    [InlineData("Basic c2stZ2FtbWEtMDEyMzQ1Njc4OQ==")]
    [InlineData("sk-gamma-0123456789")]
    public async Task HTTP_without_a_configured_bearer_key_is_401_with_an_OpenAI_error(string? authorization)
    {
        using var client = new OpenAiHttpClient(cluster.Gateway.HttpAddress);
        if (authorization is not null)
        {
            client.Http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }

        foreach (var response in new[]
        {
            await client.PostAsync("/v1/chat/completions", Chat),
            await client.PostAsync("/v1/completions", """{"prompt":"Once","max_tokens":2}"""),
            await client.GetAsync("/v1/models"),
        })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.Status);
            Assert.Equal("invalid_api_key", response.Error.GetProperty("code").GetString());
            Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
        }
    }

    [Fact]
    public async Task An_unauthenticated_request_is_refused_before_its_body_is_read()
    {
        using var client = new OpenAiHttpClient(cluster.Gateway.HttpAddress);

        var response = await client.PostAsync("/v1/completions", "garbage that is not JSON");

        Assert.Equal(HttpStatusCode.Unauthorized, response.Status);
    }

    [Fact]
    public async Task HTTP_with_a_configured_key_is_served()
    {
        using var client = new OpenAiHttpClient(cluster.Gateway.HttpAddress, GammaKey);

        var chat = await client.PostAsync("/v1/chat/completions", Chat);
        var models = await client.GetAsync("/v1/models");

        Assert.Equal(HttpStatusCode.OK, chat.Status);
        Assert.Equal(4, chat.Json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(HttpStatusCode.OK, models.Status);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("sk-not-a-configured-key")]
    public async Task gRPC_without_a_configured_key_is_UNAUTHENTICATED_on_every_method(string? key)
    {
        var generate = await Assert.ThrowsAsync<RpcException>(() => Grpc.GenerateAsync(Request(), WithKey(key)).ResponseAsync);
        var list = await Assert.ThrowsAsync<RpcException>(() => Grpc.ListModelsAsync(new ListModelsRequest(), WithKey(key)).ResponseAsync);
        var stream = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = Grpc.GenerateStream(Request(), WithKey(key));
            await foreach (var _ in call.ResponseStream.ReadAllAsync())
            {
            }
        });

        Assert.All([generate, list, stream], e => Assert.Equal(StatusCode.Unauthenticated, e.StatusCode));
        Assert.Contains(key is null ? "No API key" : "not valid", generate.Status.Detail);
    }

    [Fact]
    public async Task A_grpc_js_caller_without_a_key_sees_UNAUTHENTICATED_and_what_to_send()
    {
        var result = await InteropTests.RunPeerAsync($"127.0.0.1:{cluster.Gateway.GrpcAddress.Port}", "generate");

        Assert.Equal("UNAUTHENTICATED", result.GetProperty("error").GetProperty("code").GetString());
        Assert.StartsWith("No API key was sent. Send it as 'Authorization: Bearer <key>'", result.GetProperty("error").GetProperty("details").GetString());
    }

    [Fact]
    public async Task gRPC_with_a_configured_key_in_authorization_metadata_is_served()
    {
        var response = await Grpc.GenerateAsync(Request(), WithKey(GammaKey));
        var models = await Grpc.ListModelsAsync(new ListModelsRequest(), WithKey(GammaKey));
        var chunks = 0;
        using (var call = Grpc.GenerateStream(Request(), WithKey(GammaKey)))
        {
            await foreach (var _ in call.ResponseStream.ReadAllAsync())
            {
                chunks++;
            }
        }

        Assert.Equal(4, response.Usage.CompletionTokens);
        Assert.Single(models.Models);
        Assert.True(chunks > 0);
    }

    [Fact]
    public async Task Health_checks_need_no_key_so_orchestrators_can_probe()
    {
        var grpcHealth = await new HealthClient(cluster.Gateway.Channel).CheckAsync(new HealthCheckRequest(), WithKey(null)).ResponseAsync;
        using var http = new HttpClient { BaseAddress = cluster.Gateway.HttpAddress };

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, grpcHealth.Status);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task The_gateway_says_at_start_whether_it_requires_keys()
    {
        await using var redis = await LocalRedisServer.StartAsync();
        await using var open = ServiceProcess.StartGateway(redis);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!open.Output.Contains("WITHOUT authentication", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"no warning about missing keys:\n{open.Output}");
            await Task.Delay(50);
        }

        Assert.Contains("API keys required: 4 keys for tenants alpha, beta, gamma, delta", cluster.Gateway.Output);
        Assert.DoesNotContain("WITHOUT authentication", cluster.Gateway.Output);
        Assert.DoesNotContain(AlphaKey, cluster.Gateway.Output);
    }

    [Fact]
    public async Task A_key_configured_in_plain_text_instead_of_its_hash_stops_the_gateway_at_start()
    {
        await using var redis = await LocalRedisServer.StartAsync();
        await using var gateway = ServiceProcess.StartGateway(redis, "--Gateway:ApiKeys:0:Tenant=alpha", "--Gateway:ApiKeys:0:KeySha256=sk-plain-key");

        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Gateway:ApiKeys:0:KeySha256 must be the 64 hex digits", gateway.Output);
    }
}

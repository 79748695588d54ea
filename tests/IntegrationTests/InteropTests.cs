using System.Diagnostics;
using System.Text.Json;
using SlmCluster.IntegrationTests.Infrastructure;

namespace SlmCluster.IntegrationTests;

/// <summary>A real gRPC peer (@grpc/grpc-js with @grpc/proto-loader, from npm) against the gateway.</summary>
[Collection(ClusterCollection.Name)]
public sealed class InteropTests(ClusterFixture cluster)
{
    [Fact]
    public async Task GrpcJs_health_check_sees_the_gateway_serving()
    {
        var result = await RunPeerAsync("health");

        Assert.Equal("SERVING", result.GetProperty("response").GetProperty("status").GetString());
    }

    [Fact]
    public async Task GrpcJs_lists_the_models()
    {
        var result = await RunPeerAsync("list");

        var models = result.GetProperty("response").GetProperty("models");
        Assert.Equal(ClusterFixture.ModelId, models[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task GrpcJs_unary_and_streamed_generation_give_the_same_greedy_text()
    {
        var unary = await RunPeerAsync("generate");
        var stream = await RunPeerAsync("stream");

        var text = unary.GetProperty("response").GetProperty("text").GetString();
        Assert.False(string.IsNullOrWhiteSpace(text));
        Assert.Equal(text, stream.GetProperty("text").GetString());
        Assert.False(stream.TryGetProperty("error", out _));
        Assert.Equal("LENGTH", stream.GetProperty("last").GetProperty("finishReason").GetString());
        Assert.Equal(32, stream.GetProperty("last").GetProperty("usage").GetProperty("completionTokens").GetInt32());
    }

    [Fact]
    public async Task GrpcJs_gets_deadline_exceeded_for_a_5_ms_deadline_on_a_long_generation()
    {
        var result = await RunPeerAsync("deadline");

        Assert.Equal("DEADLINE_EXCEEDED", result.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task GrpcJs_cancelling_a_stream_leaves_the_gateway_serving()
    {
        var result = await RunPeerAsync("cancel-then-serve");

        Assert.Equal("CANCELLED", result.GetProperty("cancelled").GetProperty("error").GetProperty("code").GetString());
        var after = result.GetProperty("after").GetProperty("response");
        Assert.Equal(32, after.GetProperty("usage").GetProperty("completionTokens").GetInt32());
    }

    [Fact]
    public async Task GrpcJs_sees_not_found_for_an_unknown_model()
    {
        var result = await RunPeerAsync("unknown-model");

        Assert.Equal("NOT_FOUND", result.GetProperty("error").GetProperty("code").GetString());
    }

    private Task<JsonElement> RunPeerAsync(string scenario) => RunPeerAsync($"127.0.0.1:{cluster.Gateway.GrpcAddress.Port}", scenario);

    /// <summary>Runs the grpc-js peer's <paramref name="scenario"/> against <paramref name="address"/>; its JSON answer.</summary>
    internal static async Task<JsonElement> RunPeerAsync(string address, string scenario, params string[] extra)
    {
        var peer = Path.Combine(TestPaths.InteropDirectory, "peer.js");
        Assert.True(Directory.Exists(Path.Combine(TestPaths.InteropDirectory, "node_modules", "@grpc", "grpc-js")),
            "the grpc-js peer is not installed: run ./build.sh test (it runs npm ci in tests/IntegrationTests/interop)");
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { peer, address, TestPaths.ProtosDirectory, scenario }.Concat(extra))
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"peer {scenario} failed: {await stderr}");
        return JsonDocument.Parse(await stdout).RootElement.Clone();
    }
}

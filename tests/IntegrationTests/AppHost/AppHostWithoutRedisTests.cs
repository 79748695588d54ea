using SlmCluster.IntegrationTests.Infrastructure;

namespace SlmCluster.IntegrationTests.AppHost;

/// <summary>The README's first command on a machine where nothing but the .NET SDK is installed.</summary>
public sealed class AppHostWithoutRedisTests
{
    [Fact]
    public async Task The_README_command_answers_on_a_machine_without_redis_server_with_Garnet_inside_the_AppHost()
    {
        using var path = new PathWithout("redis-server");
        // The README's command, with its defaults: both test models, a worker each, the cascade over them.
        await using var host = AppHostProcess.Start(new Dictionary<string, string> { ["PATH"] = path.Value },
            "--model", "stories260K.gguf", "--model", "tinystories-656k-q8_0.gguf", "--threads", "1");

        await host.WaitServingAsync(TimeSpan.FromSeconds(120));

        Assert.Contains("Garnet (in the AppHost) for membership and the response cache", host.Output);
        Assert.DoesNotContain("redis-server is not installed", host.Output);
        // A repeated request is answered by the response cache, which lives in Garnet.
        using var http = new HttpClient();
        const string Body = """{"prompt":"Once upon a time","max_tokens":4,"temperature":0}""";
        for (var i = 0; i < 2; i++)
        {
            using var response = await http.PostAsync($"http://127.0.0.1:{host.HttpPort}/v1/completions",
                new StringContent(Body, System.Text.Encoding.UTF8, "application/json"));
            response.EnsureSuccessStatusCode();
        }

        var metrics = await http.GetStringAsync($"http://127.0.0.1:{host.HttpPort}/metrics");
        Assert.Contains("slm_cache_hits_total{model=\"stories260K\"} 1", metrics);
    }
}

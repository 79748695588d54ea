using System.Net;
using SlmCluster.IntegrationTests.Infrastructure;
using static SlmCluster.IntegrationTests.Infrastructure.SecuredClusterFixture;

namespace SlmCluster.IntegrationTests;

/// <summary>The Ollama API takes the OpenAI API's keys: a Bearer header, refused in Ollama's error shape without one.</summary>
[Collection(SecuredClusterCollection.Name)]
public sealed class OllamaAuthTests(SecuredClusterFixture cluster)
{
    private const string Generate = """{"model": "stories260K", "prompt": "Once upon a time", "raw": true, "stream": false, "options": {"temperature": 0, "num_predict": 4}}""";

    [Fact]
    public async Task Without_a_configured_key_the_Ollama_API_is_401_with_an_Ollama_error_but_its_probes_answer()
    {
        using var client = new OpenAiHttpClient(cluster.Gateway.HttpAddress);
        foreach (var response in new[]
        {
            await client.PostAsync("/api/generate", Generate),
            await client.PostAsync("/api/chat", """{"model": "stories260K", "messages": [{"role": "user", "content": "Once"}]}"""),
            await client.PostAsync("/api/show", """{"model": "stories260K"}"""),
            await client.GetAsync("/api/tags"),
        })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.Status);
            Assert.Contains("Bearer", Assert.Single(response.Json.EnumerateObject(), p => p.Name == "error").Value.GetString(), StringComparison.Ordinal);
            Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
        }

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/")).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/version")).Status);
    }

    [Fact]
    public async Task The_ollama_js_client_with_a_configured_key_in_its_headers_is_served()
    {
        var refused = await OllamaClientInteropTests.RunOllamaJsAsync(cluster.Gateway.HttpAddress, "generate");
        var served = await OllamaClientInteropTests.RunOllamaJsAsync(cluster.Gateway.HttpAddress, "generate", GammaKey);

        Assert.Equal(401, refused.GetProperty("status").GetInt32());
        Assert.Equal(12, served.GetProperty("eval_count").GetInt32());
    }
}

using System.ClientModel;
using System.Diagnostics;
using System.Text.Json;
using OpenAI;
using OpenAI.Embeddings;
using SlmCluster.IntegrationTests.Infrastructure;

namespace SlmCluster.IntegrationTests;

/// <summary>The official OpenAI clients (.NET and Node) get embeddings from the gateway's <c>/v1/embeddings</c> as from OpenAI.</summary>
[Collection(ClusterCollection.Name)]
public sealed class EmbeddingsInteropTests(ClusterFixture cluster)
{
    private const double Tolerance = 1e-4;

    private EmbeddingClient Embeddings => new(ClusterFixture.ModelId, new ApiKeyCredential("not-checked"),
        new OpenAIClientOptions { Endpoint = new Uri(cluster.Gateway.HttpAddress, "v1/"), NetworkTimeout = TimeSpan.FromSeconds(60) });

    [Fact]
    public async Task The_official_dotnet_client_gets_unit_vectors_where_identical_inputs_match_and_a_batch_equals_the_input_alone()
    {
        string[] texts = ["Lily went to the park.", "Tom had a red ball.", "Lily went to the park."];

        OpenAIEmbeddingCollection batch = await Embeddings.GenerateEmbeddingsAsync(texts);
        OpenAIEmbedding alone = await Embeddings.GenerateEmbeddingAsync(texts[1]);

        Assert.Equal([0, 1, 2], batch.Select(e => e.Index));
        var vectors = batch.Select(e => e.ToFloats().ToArray()).ToArray();
        Assert.Equal(1.0, Math.Sqrt(vectors[0].Sum(v => (double)v * v)), 4);
        Assert.Equal(1.0, Cosine(vectors[0], vectors[2]), 4);
        Assert.True(Cosine(vectors[0], vectors[1]) < 1 - Tolerance);
        Assert.Equal(1.0, Cosine(vectors[1], alone.ToFloats().ToArray()), 4);
        Assert.True(batch.Usage.InputTokenCount > 3);
        Assert.Equal(batch.Usage.InputTokenCount, batch.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task The_official_dotnet_client_gets_the_dimensions_it_asks_for()
    {
        OpenAIEmbedding embedding = await Embeddings.GenerateEmbeddingAsync("Once upon a time", new EmbeddingGenerationOptions { Dimensions = 8 });

        var vector = embedding.ToFloats().ToArray();
        Assert.Equal(8, vector.Length);
        Assert.Equal(1.0, Math.Sqrt(vector.Sum(v => (double)v * v)), 4);
    }

    [Fact]
    public async Task The_official_node_client_gets_embeddings_and_a_clear_400_for_empty_input()
    {
        var result = await RunNodeAsync(new Uri(cluster.Gateway.HttpAddress, "v1").ToString(), ClusterFixture.ModelId);

        Assert.Equal(3, result.GetProperty("count").GetInt32());
        Assert.Equal(1.0, result.GetProperty("identical").GetDouble(), 4);
        Assert.True(result.GetProperty("different").GetDouble() < 1 - Tolerance);
        Assert.Equal(1.0, result.GetProperty("batchVsAlone").GetDouble(), 4);
        Assert.Equal(400, result.GetProperty("refused").GetProperty("status").GetInt32());
        Assert.Equal("input", result.GetProperty("refused").GetProperty("param").GetString());
    }

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }

    private static async Task<JsonElement> RunNodeAsync(string baseUrl, string model)
    {
        Assert.True(Directory.Exists(Path.Combine(TestPaths.InteropDirectory, "node_modules", "openai")),
            "the OpenAI Node client is not installed: run ./build.sh test (it runs npm ci in tests/IntegrationTests/interop)");
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(TestPaths.InteropDirectory, "embeddings.js"));
        info.ArgumentList.Add(baseUrl);
        info.ArgumentList.Add(model);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"the OpenAI Node client failed: {await stderr}");
        return JsonDocument.Parse(await stdout).RootElement.Clone();
    }
}

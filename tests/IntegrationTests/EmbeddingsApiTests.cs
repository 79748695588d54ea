using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SlmCluster.Client.DependencyInjection;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;

namespace SlmCluster.IntegrationTests;

/// <summary>
/// <c>POST /v1/embeddings</c>, gRPC <c>Embed</c> and the client library's <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/>
/// against workers that serve stories260K for generation and embeddings: the answers, and each bad input's refusal.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class EmbeddingsApiTests(ClusterFixture cluster)
{
    private static readonly CallOptions Deadline = new(deadline: DateTime.UtcNow.AddMinutes(2));

    private OpenAiHttpClient Http => new(cluster.Gateway.HttpAddress);

    private static string Body(object input, string? extra = null) =>
        $$"""{"model":"{{ClusterFixture.ModelId}}","input":{{JsonSerializer.Serialize(input)}}{{extra}}}""";

    [Fact]
    public async Task Token_ids_and_base64_come_back_as_the_same_vector_as_the_text_in_floats()
    {
        using var http = Http;
        var text = await http.PostAsync("/v1/embeddings", Body("Once upon a time"));
        var tokens = text.Json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
        var listed = await cluster.GatewayClient.ListModelsAsync(new ListModelsRequest(), Deadline);
        var grpc = await cluster.GatewayClient.EmbedAsync(new EmbedRequest
        {
            Model = ClusterFixture.ModelId,
            Inputs = { new EmbedInput { Text = "Once upon a time" } },
        }, Deadline);
        var base64 = await http.PostAsync("/v1/embeddings", Body(new[] { "Once upon a time" }, ""","encoding_format":"base64" """));

        Assert.Equal(200, (int)text.Status);
        var floats = text.Json.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var decoded = Convert.FromBase64String(base64.Json.GetProperty("data")[0].GetProperty("embedding").GetString()!);
        Assert.Equal(floats, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(decoded).ToArray());
        Assert.Equal(floats, grpc.Embeddings[0].Values);
        Assert.Equal(listed.Models[0].EmbeddingDimensions, floats.Length);
        Assert.True(listed.Models[0].Embeddings);
        Assert.Equal("list", text.Json.GetProperty("object").GetString());
        Assert.Equal(ClusterFixture.ModelId, text.Json.GetProperty("model").GetString());
        Assert.Equal(tokens, grpc.Usage.PromptTokens);
        Assert.True(grpc.Served.ReferenceApiCostUsd > 0);
    }

    [Fact]
    public async Task The_client_librarys_embedding_generator_is_registered_beside_the_chat_client()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["services:gateway:grpc:0"] = cluster.Gateway.GrpcAddress.ToString() })
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSlmClusterChatClient("gateway");
        services.AddSlmClusterEmbeddingGenerator("gateway");
        await using var provider = services.BuildServiceProvider();
        var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();

        var embeddings = await generator.GenerateAsync(["Lily went to the park.", "Tom had a red ball."]);
        var alone = await generator.GenerateVectorAsync("Tom had a red ball.");

        Assert.Equal(2, embeddings.Count);
        Assert.Equal(ClusterFixture.ModelId, embeddings[0].ModelId);
        Assert.True(embeddings.Usage?.InputTokenCount > 2);
        Assert.Equal(1.0, Cosine(embeddings[1].Vector.ToArray(), alone.ToArray()), 4);
        Assert.NotNull(provider.GetService<IChatClient>());
    }

    [Fact]
    public async Task Bad_input_gets_a_400_in_the_OpenAI_shape_naming_the_field()
    {
        using var http = Http;
        var longText = string.Join(' ', Enumerable.Repeat("the cat sat on the mat", 200));
        (string Body, string Param, string Says)[] cases =
        [
            (Body(Array.Empty<string>()), "input", "empty"),
            (Body(new[] { "a", "" }), "input", "input[1]"),
            (Body(Enumerable.Repeat("a", 2049).ToArray()), "input", "2048"),
            (Body(new object[] { "a", 1 }), "input", "input[1]"),
            (Body(new[] { -5 }), "input", "-5"),
            (Body(new[] { 1_000_000 }), "input", "vocabulary"),
            (Body(longText), "input", "truncate"),
            (Body("a", ""","encoding_format":"int8" """), "encoding_format", "base64"),
            (Body("a", ""","dimensions":100000 """), "dimensions", "dimensions"),
            ("""{"model":"stories260K"}""", "input", "required"),
        ];

        foreach (var (body, param, says) in cases)
        {
            var response = await http.PostAsync("/v1/embeddings", body);

            Assert.True(400 == (int)response.Status, $"{body[..Math.Min(body.Length, 80)]}: {(int)response.Status} {response.Text}");
            Assert.Equal("invalid_request_error", response.Error.GetProperty("type").GetString());
            Assert.Equal(param, response.Error.GetProperty("param").GetString());
            Assert.Contains(says, response.Error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        var truncated = await http.PostAsync("/v1/embeddings", Body(longText, ""","truncate":true"""));
        Assert.Equal(200, (int)truncated.Status);
    }

    [Fact]
    public async Task An_unknown_model_is_a_404_and_a_cascade_or_generation_only_model_a_400_naming_the_model()
    {
        using var http = Http;

        var unknown = await http.PostAsync("/v1/embeddings", """{"model":"no-such-model","input":"a"}""");

        Assert.Equal(404, (int)unknown.Status);
        Assert.Equal("model", unknown.Error.GetProperty("param").GetString());
        Assert.Equal("model_not_found", unknown.Error.GetProperty("code").GetString());
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
}

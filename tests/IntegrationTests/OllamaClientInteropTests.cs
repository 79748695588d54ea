using System.Diagnostics;
using System.Text;
using System.Text.Json;
using OllamaSharp;
using OllamaSharp.Models;
using OllamaSharp.Models.Chat;
using SlmCluster.IntegrationTests.Infrastructure;

namespace SlmCluster.IntegrationTests;

/// <summary>Real Ollama clients, OllamaSharp (.NET) and the official <c>ollama</c> JavaScript package, pointed at the gateway as at Ollama.</summary>
[Collection(ClusterCollection.Name)]
public sealed class OllamaClientInteropTests(ClusterFixture cluster)
{
    private static readonly RequestOptions Greedy = new() { Temperature = 0, NumPredict = 12 };

    private OllamaApiClient Client => new(new HttpClient { BaseAddress = cluster.Gateway.HttpAddress, Timeout = TimeSpan.FromSeconds(60) }, ClusterFixture.ModelId);

    [Fact]
    public async Task OllamaSharp_sees_Ollama_running_and_lists_and_shows_the_served_model()
    {
        using var client = Client;

        Assert.True(await client.IsRunningAsync());
        var models = await client.ListLocalModelsAsync();
        var model = Assert.Single(models);
        Assert.Equal(ClusterFixture.ModelId + ":latest", model.Name);
        var shown = await client.ShowModelAsync(new ShowModelRequest { Model = model.Name });
        Assert.Contains("completion", shown.Capabilities ?? []);
        Assert.Equal(ClusterFixture.ModelId + ":latest", Assert.Single(await client.ListRunningModelsAsync()).Name);
    }

    [Fact]
    public async Task OllamaSharp_streams_a_generation_that_equals_the_whole_one_and_ends_with_its_counts()
    {
        using var client = Client;
        GenerateRequest Request(bool stream) => new() { Model = ClusterFixture.ModelId, Prompt = "Once upon a time", Raw = true, Options = Greedy, Stream = stream };

        var text = new StringBuilder();
        var pieces = 0;
        GenerateDoneResponseStream? done = null;
        await foreach (var piece in client.GenerateAsync(Request(stream: true)))
        {
            text.Append(piece?.Response);
            pieces++;
            done = piece as GenerateDoneResponseStream ?? done;
        }

        GenerateDoneResponseStream? whole = null;
        await foreach (var piece in client.GenerateAsync(Request(stream: false)))
        {
            whole = piece as GenerateDoneResponseStream;
        }

        Assert.True(pieces > 2, "the answer came in one piece");
        Assert.NotNull(done);
        Assert.Equal("length", done.DoneReason);
        Assert.Equal(12, done.EvalCount);
        Assert.True(done.PromptEvalCount > 0);
        Assert.True(done.TotalDuration >= done.EvalDuration);
        Assert.Equal(text.ToString(), whole?.Response);
    }

    [Fact]
    public async Task OllamaSharp_chats_streamed_and_follows_a_JSON_Schema_format()
    {
        using var client = Client;
        var chat = new StringBuilder();
        ChatDoneResponseStream? done = null;
        await foreach (var piece in client.ChatAsync(new ChatRequest
        {
            Model = ClusterFixture.ModelId,
            Messages = [new Message(ChatRole.User, "Once upon a time")],
            Options = Greedy,
        }))
        {
            chat.Append(piece?.Message.Content);
            done = piece as ChatDoneResponseStream ?? done;
        }

        var schema = JsonDocument.Parse("""{"type": "object", "properties": {"name": {"type": "string", "maxLength": 8}}, "required": ["name"]}""").RootElement;
        var formatted = new StringBuilder();
        await foreach (var piece in client.GenerateAsync(new GenerateRequest
        {
            Model = ClusterFixture.ModelId,
            Prompt = "A name:",
            Raw = true,
            Format = schema,
            Options = new RequestOptions { Temperature = 0, NumPredict = 40 },
        }))
        {
            formatted.Append(piece?.Response);
        }

        Assert.False(string.IsNullOrWhiteSpace(chat.ToString()));
        Assert.Equal(12, done?.EvalCount);
        Assert.Equal(JsonValueKind.String, JsonDocument.Parse(formatted.ToString()).RootElement.GetProperty("name").ValueKind);
    }

    [Fact]
    public async Task The_ollama_js_client_lists_shows_generates_and_chats_as_against_Ollama()
    {
        var list = await RunOllamaJsAsync("list");
        var show = await RunOllamaJsAsync("show");
        var whole = await RunOllamaJsAsync("generate");
        var streamed = await RunOllamaJsAsync("generate-stream");
        var chat = await RunOllamaJsAsync("chat-stream");
        var format = await RunOllamaJsAsync("format");
        var unknown = await RunOllamaJsAsync("unknown-model");

        Assert.Equal(ClusterFixture.ModelId + ":latest", list.GetProperty("models")[0].GetProperty("name").GetString());
        Assert.Contains("completion", show.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(12, whole.GetProperty("eval_count").GetInt32());
        Assert.True(streamed.GetProperty("pieces").GetInt32() > 2, "the answer came in one piece");
        Assert.Equal("length", streamed.GetProperty("last").GetProperty("done_reason").GetString());
        Assert.True(chat.GetProperty("pieces").GetInt32() > 2, "the chat came in one piece");
        Assert.False(string.IsNullOrWhiteSpace(chat.GetProperty("text").GetString()));
        Assert.Equal(12, chat.GetProperty("last").GetProperty("eval_count").GetInt32());
        var name = JsonDocument.Parse(format.GetProperty("response").GetString()!).RootElement.GetProperty("name");
        Assert.Equal(JsonValueKind.String, name.ValueKind);
        Assert.Equal(404, unknown.GetProperty("status").GetInt32());
        Assert.Contains(ClusterFixture.ModelId, unknown.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_ollama_js_client_chats_with_tools_and_sends_a_call_and_its_result_back()
    {
        var chat = await RunOllamaJsAsync("chat-tools");

        Assert.False(chat.TryGetProperty("status", out _), $"the client was refused: {chat}");
        var last = chat.GetProperty("last");
        Assert.True(last.GetProperty("done").GetBoolean());
        Assert.True(last.GetProperty("prompt_eval_count").GetInt32() > 40, "the tools, the call and its result were not in the prompt");
        var calls = chat.GetProperty("calls").EnumerateArray().ToList();
        // The story model chooses text or calls; either way the client reads the answer, and any call is whole.
        Assert.All(calls, call =>
        {
            Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
            Assert.Equal(JsonValueKind.Object, call.GetProperty("function").GetProperty("arguments").ValueKind);
        });
        Assert.True(calls.Count > 0 || chat.GetProperty("content").GetString()!.Length > 0, "the answer had neither text nor calls");
        Assert.Equal(chat.GetProperty("content").GetString(), chat.GetProperty("whole").GetProperty("content").GetString());
    }

    [Fact]
    public async Task The_ollama_js_client_and_OllamaSharp_embed_unit_vectors_that_agree_with_each_other()
    {
        var embed = await RunOllamaJsAsync("embed");
        var legacy = await RunOllamaJsAsync("embeddings");
        var sharp = await Client.EmbedAsync(new OllamaSharp.Models.EmbedRequest { Model = ClusterFixture.ModelId, Input = ["Once upon a time"] });

        var vectors = embed.GetProperty("embeddings").EnumerateArray().Select(v => v.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();
        Assert.Equal(3, vectors.Length);
        Assert.All(vectors, v => Assert.Equal(1.0, Math.Sqrt(v.Sum(x => (double)x * x)), 3));
        Assert.Equal(1.0, Cosine(vectors[0], vectors[1]), 4);
        Assert.True(Cosine(vectors[0], vectors[2]) < 0.999, "different inputs gave the same vector");
        Assert.True(embed.GetProperty("prompt_eval_count").GetInt32() > 0);
        Assert.Equal(1.0, Cosine(vectors[0], legacy.GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray()), 4);
        Assert.Equal(1.0, Cosine(vectors[0], Assert.Single(sharp.Embeddings)), 4);
    }

    private static double Cosine(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }

    private Task<JsonElement> RunOllamaJsAsync(string scenario) => RunOllamaJsAsync(cluster.Gateway.HttpAddress, scenario);

    /// <summary>Runs a scenario of <c>ollama-peer.js</c> against a gateway; the client's answer, or its error (name, message, status).</summary>
    internal static async Task<JsonElement> RunOllamaJsAsync(Uri gateway, string scenario, string? apiKey = null)
    {
        Assert.True(Directory.Exists(Path.Combine(TestPaths.InteropDirectory, "node_modules", "ollama")),
            "the ollama client is not installed: run ./build.sh test (it runs npm ci in tests/IntegrationTests/interop)");
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(TestPaths.InteropDirectory, "ollama-peer.js"), gateway.ToString().TrimEnd('/'), ClusterFixture.ModelId, scenario, apiKey ?? "" })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"ollama-peer {scenario} failed: {await stderr}");
        var result = JsonDocument.Parse(await stdout).RootElement.Clone();
        return result.TryGetProperty("response", out var response) ? response : result.GetProperty("error");
    }
}

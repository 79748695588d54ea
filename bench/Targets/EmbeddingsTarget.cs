using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace SlmCluster.Bench.Targets;

/// <summary>
/// <c>POST /v1/embeddings</c> of any OpenAI-compatible server (our gateway, or llama-server <c>--embeddings</c>): each
/// request carries <see cref="InputsPerRequest"/> inputs of about 32 tokens, never sent before (so no cache answers), and
/// its sample counts inputs where a generation's counts tokens: the load generator's "tok/s" is then inputs/s.
/// </summary>
internal sealed class EmbeddingsTarget(string name, Uri baseAddress, string? model) : IBenchTarget
{
    public const int InputsPerRequest = 64;

    private static readonly string[] Words =
        ["the", "little", "girl", "saw", "a", "big", "red", "ball", "in", "park", "and", "she", "ran", "to", "get", "it", "with", "her", "dog"];

    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 }) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
    private long _sent;

    public string Name => name;

    public int? ServingProcessId => null;

    /// <summary>Prompt tokens per input the last answer reported (to check the inputs' size).</summary>
    public double LastTokensPerInput { get; private set; }

    public async Task<RequestSample> RunAsync(string prompt, int maxTokens, CancellationToken cancellationToken)
    {
        var request = Interlocked.Increment(ref _sent);
        var inputs = new string[InputsPerRequest];
        for (var i = 0; i < inputs.Length; i++)
        {
            // A distinct opening, then about 28 words: about 32 tokens for a llama-style vocabulary.
            var words = Enumerable.Range(0, 28).Select(w => Words[(int)((request * 31 + i * 7 + w) % Words.Length)]);
            inputs[i] = $"{request}-{i}: {string.Join(' ', words)}";
        }

        var body = new Dictionary<string, object?> { ["input"] = inputs, ["encoding_format"] = "float" };
        if (model is not null)
        {
            body["model"] = model;
        }

        var started = Stopwatch.GetTimestamp();
        using var response = await _http.PostAsJsonAsync("v1/embeddings", body, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{name}: {(int)response.StatusCode} {text}");
        }

        using var json = JsonDocument.Parse(text);
        var count = json.RootElement.GetProperty("data").GetArrayLength();
        if (json.RootElement.TryGetProperty("usage", out var usage) && usage.TryGetProperty("prompt_tokens", out var tokens) && count > 0)
        {
            LastTokensPerInput = tokens.GetDouble() / count;
        }

        return new RequestSample(elapsed, elapsed, count);
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}

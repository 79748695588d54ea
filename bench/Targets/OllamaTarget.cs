using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace SlmCluster.Bench.Targets;

/// <summary>
/// The gateway's Ollama API: streams <c>POST /api/generate</c> with a raw prompt (no template, as
/// <c>/v1/completions</c> sends it) and greedy options, and counts the tokens its closing line reports.
/// </summary>
internal sealed class OllamaTarget(Uri baseAddress, string model) : IBenchTarget
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 }) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };

    public string Name => $"ollama {baseAddress}";

    public int? ServingProcessId => null;

    public async Task<RequestSample> RunAsync(string prompt, int maxTokens, CancellationToken cancellationToken)
    {
        var body = new Dictionary<string, object?>
        {
            ["model"] = model,
            ["prompt"] = prompt,
            ["raw"] = true,
            ["stream"] = true,
            ["options"] = new Dictionary<string, object> { ["temperature"] = 0, ["num_predict"] = maxTokens },
        };
        var started = Stopwatch.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/generate") { Content = JsonContent.Create(body) };
        // As OpenAiTarget sends it, so both arms pay the same connection cost.
        request.Headers.ConnectionClose = true;
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        TimeSpan? first = null;
        var chunks = 0;
        int? reported = null;
        TimeSpan? serverFirst = null;
        while (await reader.ReadLineAsync(cancellationToken) is { Length: > 0 } line)
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            if (root.TryGetProperty("error", out var error))
            {
                throw new InvalidOperationException($"the Ollama API failed mid-stream: {error.GetString()}");
            }

            if (root.TryGetProperty("response", out var text) && text.GetString() is { Length: > 0 })
            {
                first ??= Stopwatch.GetElapsedTime(started);
                chunks++;
            }

            if (root.GetProperty("done").GetBoolean())
            {
                reported = root.GetProperty("eval_count").GetInt32();
                serverFirst = TimeSpan.FromTicks(root.GetProperty("prompt_eval_duration").GetInt64() / 100);
                break;
            }
        }

        var total = Stopwatch.GetElapsedTime(started);
        return new RequestSample(first ?? total, total, reported ?? chunks, ServerTimeToFirstToken: serverFirst);
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}

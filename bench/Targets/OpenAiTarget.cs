using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace SlmCluster.Bench.Targets;

/// <summary>
/// Any OpenAI-compatible server (llama-server, or our gateway's HTTP API): streams
/// <c>POST /v1/completions</c> and counts the tokens its usage reports, else the chunks. <paramref name="fields"/> are
/// added to every request's body (llama-server's <c>json_schema</c>, for one), <paramref name="name"/> names the arm, and
/// <paramref name="servingProcessId"/>, when the bench started the server, is read for its peak RSS.
/// </summary>
internal sealed class OpenAiTarget(
    Uri baseAddress, string? model, IReadOnlyDictionary<string, object?>? fields = null, string? name = null, int? servingProcessId = null) : IBenchTarget
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 }) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };

    public string Name => name ?? $"openai {baseAddress}";

    public int? ServingProcessId => servingProcessId;

    public async Task<RequestSample> RunAsync(string prompt, int maxTokens, CancellationToken cancellationToken)
    {
        var body = new Dictionary<string, object?>
        {
            ["prompt"] = prompt,
            ["max_tokens"] = maxTokens,
            ["n_predict"] = maxTokens,
            ["temperature"] = 0,
            ["stream"] = true,
            ["ignore_eos"] = true,
            ["cache_prompt"] = true,
            ["stream_options"] = new Dictionary<string, object> { ["include_usage"] = true },
        };
        if (model is not null)
        {
            body["model"] = model;
        }

        foreach (var (field, value) in fields ?? new Dictionary<string, object?>())
        {
            body[field] = value;
        }

        var started = Stopwatch.GetTimestamp();
        using var response = await SendAsync(body, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        TimeSpan? first = null;
        var chunks = 0;
        int? reported = null;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal))
            {
                continue;
            }

            var data = line.AsSpan(6);
            if (data.SequenceEqual("[DONE]"))
            {
                break;
            }

            using var json = JsonDocument.Parse(line[6..]);
            if (json.RootElement.TryGetProperty("choices", out var choices) && choices.GetArrayLength() > 0
                && choices[0].TryGetProperty("text", out var text) && text.GetString() is { Length: > 0 })
            {
                first ??= Stopwatch.GetElapsedTime(started);
                chunks++;
            }

            if (json.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object
                && usage.TryGetProperty("completion_tokens", out var completion))
            {
                reported = completion.GetInt32();
            }
        }

        var total = Stopwatch.GetElapsedTime(started);
        return new RequestSample(first ?? total, total, reported ?? chunks);
    }

    /// <summary>Sends the request; one retry when a pooled keep-alive connection was closed by the server under us.</summary>
    private async Task<HttpResponseMessage> SendAsync(Dictionary<string, object?> body, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = JsonContent.Create(body) };
            // Some servers close keep-alive connections after a few requests; a fresh loopback connection costs microseconds.
            request.Headers.ConnectionClose = true;
            try
            {
                return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException) when (attempt < 2)
            {
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}

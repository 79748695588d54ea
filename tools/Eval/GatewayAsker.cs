using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SlmCluster.Eval;

/// <summary>
/// Asks an OpenAI-compatible endpoint (the gateway, or an external reference) one item, greedy: <c>/v1/completions</c>
/// for a prompt, <c>/v1/chat/completions</c> for messages, a schema as <c>response_format</c>. Reads the answer, the
/// cost the gateway reports (<c>slm_cost</c>) or the usage at the given prices, whether a cascade escalated
/// (<c>slm_cascade</c>), and the mean token logprob when asked for.
/// </summary>
public sealed class GatewayAsker(HttpClient http, string baseUrl, string? apiKey, (double Input, double Output)? pricePerMillion = null)
{
    public async Task<EvalAnswer> AskAsync(string model, EvalItem item, int maxTokens, bool logprobs, CancellationToken cancellationToken)
    {
        var chat = item.Messages is not null;
        var body = new JsonObject
        {
            ["model"] = model,
            ["max_tokens"] = item.MaxTokens ?? maxTokens,
            ["temperature"] = 0,
        };
        if (chat)
        {
            body["messages"] = JsonNode.Parse(item.Messages!.Value.GetRawText());
        }
        else
        {
            body["prompt"] = item.Prompt;
        }

        if (item.Schema is { } schema)
        {
            body["response_format"] = new JsonObject
            {
                ["type"] = "json_schema",
                ["json_schema"] = new JsonObject { ["name"] = "answer", ["schema"] = JsonNode.Parse(schema.GetRawText()) },
            };
        }

        if (logprobs)
        {
            // Chat takes a flag, completions the number of alternatives per token (the chosen token's logprob comes with it).
            body["logprobs"] = chat ? JsonValue.Create(true) : JsonValue.Create(1);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, baseUrl.TrimEnd('/') + (chat ? "/chat/completions" : "/completions"))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (!string.IsNullOrEmpty(apiKey))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        var started = Stopwatch.GetTimestamp();
        using var response = await http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (!response.IsSuccessStatusCode)
        {
            return new EvalAnswer("", 0, latency, false, null, $"HTTP {(int)response.StatusCode}: {Redact(text[..Math.Min(200, text.Length)])}");
        }

        var root = JsonDocument.Parse(text).RootElement;
        var choice = root.GetProperty("choices")[0];
        var answer = chat ? choice.GetProperty("message").GetProperty("content").GetString() ?? "" : choice.GetProperty("text").GetString() ?? "";
        var cost = root.TryGetProperty("slm_cost", out var slmCost) && slmCost.TryGetProperty("cost_usd", out var usd) ? usd.GetDouble()
            : pricePerMillion is { } price && root.TryGetProperty("usage", out var usage)
                ? (usage.GetProperty("prompt_tokens").GetDouble() * price.Input + usage.GetProperty("completion_tokens").GetDouble() * price.Output) / 1e6
                : 0;
        var escalated = root.TryGetProperty("slm_cascade", out var cascade) && cascade.TryGetProperty("escalated", out var e) && e.GetBoolean();
        return new EvalAnswer(answer, cost, latency, escalated, logprobs ? MeanLogprob(choice, chat) : null, null);
    }

    private static double? MeanLogprob(JsonElement choice, bool chat)
    {
        if (!choice.TryGetProperty("logprobs", out var logprobs) || logprobs.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var values = chat
            ? logprobs.GetProperty("content").EnumerateArray().Select(t => t.GetProperty("logprob").GetDouble()).ToArray()
            : logprobs.GetProperty("token_logprobs").EnumerateArray().Where(t => t.ValueKind == JsonValueKind.Number).Select(t => t.GetDouble()).ToArray();
        return values.Length == 0 ? null : values.Average();
    }

    /// <summary>An error body that echoed the key is reported without it.</summary>
    private string Redact(string text) => string.IsNullOrEmpty(apiKey) || apiKey.Length < 4 ? text : text.Replace(apiKey, "***", StringComparison.Ordinal);
}

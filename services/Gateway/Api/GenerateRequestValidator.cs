using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Hosting;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Api;

/// <summary>Refuses requests a worker could not serve, with a message that says what to change.</summary>
public sealed class GenerateRequestValidator(IOptions<GatewayOptions> options)
{
    /// <summary>Most alternatives a request may ask for at each position (the engine's limit, and OpenAI's).</summary>
    public const int MaxTopLogprobs = 20;

    private static readonly HashSet<string> Roles = new(StringComparer.Ordinal) { "system", "user", "assistant" };

    /// <summary>The first problem with <paramref name="request"/>, or null when it is valid.</summary>
    public string? Validate(GenerateRequest request)
    {
        var o = options.Value;
        var hasPrompt = request.Prompt.Length > 0;
        var hasMessages = request.Messages.Count > 0;
        if (!hasPrompt && !hasMessages)
        {
            return "The request has neither a prompt nor messages: set 'prompt' for a completion or 'messages' for a chat.";
        }

        if (hasPrompt && hasMessages)
        {
            return "The request has both a prompt and messages: set only one of them.";
        }

        if (request.Prompt.Length > o.MaxPromptCharacters)
        {
            return $"The prompt is {request.Prompt.Length} characters; the limit is {o.MaxPromptCharacters}.";
        }

        if (request.Messages.Count > o.MaxMessages)
        {
            return $"The request has {request.Messages.Count} messages; the limit is {o.MaxMessages}.";
        }

        var chars = 0;
        for (var i = 0; i < request.Messages.Count; i++)
        {
            var message = request.Messages[i];
            if (!Roles.Contains(message.Role))
            {
                return $"messages[{i}].role is '{message.Role}'; use one of: system, user, assistant.";
            }

            chars += message.Content.Length;
        }

        if (chars > o.MaxPromptCharacters)
        {
            return $"The messages hold {chars} characters; the limit is {o.MaxPromptCharacters}.";
        }

        if (request.MaxTokens < 0 || request.MaxTokens > o.MaxTokensLimit)
        {
            return $"max_tokens is {request.MaxTokens}; it must be between 1 and {o.MaxTokensLimit} (0 uses the default).";
        }

        if (request.Sampling is { } s)
        {
            if (float.IsNaN(s.Temperature) || s.Temperature < 0 || s.Temperature > 10)
            {
                return $"sampling.temperature is {s.Temperature}; it must be between 0 (greedy) and 10.";
            }

            if (float.IsNaN(s.TopP) || s.TopP < 0 || s.TopP > 1)
            {
                return $"sampling.top_p is {s.TopP}; it must be between 0 and 1.";
            }

            if (s.TopK < 0)
            {
                return $"sampling.top_k is {s.TopK}; it must be 0 (off) or positive.";
            }
        }

        if (request.TopLogprobs is < 0 or > MaxTopLogprobs)
        {
            return $"top_logprobs is {request.TopLogprobs}; it must be between 0 and {MaxTopLogprobs} (the most likely tokens reported at each position; more than 0 turns logprobs on).";
        }

        if (request.Stop.Count > o.MaxStopStrings)
        {
            return $"The request has {request.Stop.Count} stop strings; the limit is {o.MaxStopStrings}.";
        }

        foreach (var stop in request.Stop)
        {
            if (stop.Length == 0 || stop.Length > o.MaxStopStringLength)
            {
                return $"Stop strings must be 1 to {o.MaxStopStringLength} characters; got one of {stop.Length}.";
            }
        }

        if (request.Cache is { TtlSeconds: < 0 })
        {
            return $"cache.ttl_seconds is {request.Cache.TtlSeconds}; it must be 0 (default) or positive.";
        }

        return null;
    }
}

using System.Text;
using System.Text.Json;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>
/// Translates OpenAI request bodies into the one <see cref="GenerateRequest"/> both APIs share. Only what the shapes
/// cannot say is checked here; limits and ranges are the shared validator's, so both APIs refuse alike.
/// </summary>
internal static class OpenAiRequestMapper
{
    /// <summary>OpenAI's default temperature when a request sends none.</summary>
    public const float DefaultTemperature = 1f;

    /// <summary>The most alternatives the legacy completions endpoint reports per token (its <c>logprobs</c>), as OpenAI's.</summary>
    public const int MaxCompletionLogprobs = 5;

    public static GenerateRequest ToGenerateRequest(ChatCompletionRequest body)
    {
        if (body.Messages is null)
        {
            throw new InvalidOpenAiRequestException("'messages' is required: an array of {\"role\", \"content\"} turns.", "messages");
        }

        var request = Common(body, body.MaxCompletionTokens ?? body.MaxTokens, body.MaxCompletionTokens is null ? "max_tokens" : "max_completion_tokens");
        for (var i = 0; i < body.Messages.Count; i++)
        {
            var message = body.Messages[i]
                ?? throw new InvalidOpenAiRequestException($"messages[{i}] is null; each message is an object with 'role' and 'content'.", $"messages[{i}]");
            request.Messages.Add(new ChatMessage
            {
                // "developer" is what newer OpenAI clients call the system prompt.
                Role = message.Role == "developer" ? "system" : message.Role ?? "",
                Content = Content(message.Content, $"messages[{i}].content"),
            });
        }

        if (request.Messages.Count == 0)
        {
            throw new InvalidOpenAiRequestException("'messages' is empty; send at least one message.", "messages");
        }

        if (body.TopLogprobs is { } top)
        {
            if (body.Logprobs != true)
            {
                throw new InvalidOpenAiRequestException("'top_logprobs' needs 'logprobs': true; set both, or leave 'top_logprobs' out.", "top_logprobs");
            }

            if (top is < 0 or > GenerateRequestValidator.MaxTopLogprobs)
            {
                throw new InvalidOpenAiRequestException(
                    $"'top_logprobs' is {top}; it must be between 0 and {GenerateRequestValidator.MaxTopLogprobs}.", "top_logprobs");
            }
        }

        request.Logprobs = body.Logprobs == true;
        request.TopLogprobs = body.TopLogprobs ?? 0;
        return request;
    }

    public static GenerateRequest ToGenerateRequest(CompletionRequest body)
    {
        var request = Common(body, body.MaxTokens, "max_tokens");
        request.Prompt = Prompt(body.Prompt);
        if (request.Prompt.Length == 0)
        {
            throw new InvalidOpenAiRequestException("'prompt' is empty; send the text to continue.", "prompt");
        }

        if (body.Logprobs is { } logprobs)
        {
            if (logprobs is < 0 or > MaxCompletionLogprobs)
            {
                throw new InvalidOpenAiRequestException(
                    $"'logprobs' is {logprobs}; it must be between 0 and {MaxCompletionLogprobs} (the most likely tokens reported at each position).", "logprobs");
            }

            request.Logprobs = true;
            request.TopLogprobs = logprobs;
        }

        return request;
    }

    private static GenerateRequest Common(OpenAiGenerationRequest body, int? maxTokens, string maxTokensParam)
    {
        if (body.N is { } n && n != 1)
        {
            throw new InvalidOpenAiRequestException($"'n' is {n}; only 1 is supported. Send one request per completion.", "n");
        }

        if (maxTokens is < 1)
        {
            throw new InvalidOpenAiRequestException($"'{maxTokensParam}' is {maxTokens}; it must be at least 1.", maxTokensParam);
        }

        var request = new GenerateRequest
        {
            Model = body.Model ?? "",
            MaxTokens = maxTokens ?? 0,
            SessionId = body.User ?? "",
            IgnoreEos = body.IgnoreEos ?? false,
            Sampling = new SamplingParams
            {
                Temperature = (float)(body.Temperature ?? DefaultTemperature),
                TopP = (float)(body.TopP ?? 1),
                TopK = body.TopK ?? 0,
            },
        };

        if (body.Seed is { } seed)
        {
            // The engine's seed is 32 bits; the low bits keep any 64-bit seed reproducible.
            request.Sampling.Seed = unchecked((uint)seed);
        }

        AddStop(request, body.Stop);
        return request;
    }

    private static void AddStop(GenerateRequest request, JsonElement? stop)
    {
        switch (stop)
        {
            case null:
            case { ValueKind: JsonValueKind.Null }:
                return;
            case { ValueKind: JsonValueKind.String } one:
                request.Stop.Add(Text(one, "stop"));
                return;
            case { ValueKind: JsonValueKind.Array } many:
                var i = 0;
                foreach (var item in many.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String)
                    {
                        throw new InvalidOpenAiRequestException($"stop[{i}] is {Describe(item)}; stop sequences are strings.", $"stop[{i}]");
                    }

                    request.Stop.Add(Text(item, $"stop[{i}]"));
                    i++;
                }

                return;
            default:
                throw new InvalidOpenAiRequestException($"'stop' is {Describe(stop.Value)}; send a string or an array of strings.", "stop");
        }
    }

    private static string Prompt(JsonElement? prompt)
    {
        switch (prompt)
        {
            case null:
            case { ValueKind: JsonValueKind.Null }:
                throw new InvalidOpenAiRequestException("'prompt' is required: the text to continue.", "prompt");
            case { ValueKind: JsonValueKind.String } text:
                return Text(text, "prompt");
            case { ValueKind: JsonValueKind.Array } array:
                var length = array.GetArrayLength();
                if (length == 1 && array[0].ValueKind == JsonValueKind.String)
                {
                    return Text(array[0], "prompt[0]");
                }

                if (length > 0 && array[0].ValueKind == JsonValueKind.Number)
                {
                    throw new InvalidOpenAiRequestException("'prompt' is an array of token ids; send the prompt as text.", "prompt");
                }

                throw new InvalidOpenAiRequestException(
                    $"'prompt' is an array of {length} items; send one string (one prompt per request).", "prompt");
            default:
                throw new InvalidOpenAiRequestException($"'prompt' is {Describe(prompt.Value)}; send a string.", "prompt");
        }
    }

    private static string Content(JsonElement? content, string param)
    {
        switch (content)
        {
            case null:
            case { ValueKind: JsonValueKind.Null }:
                return "";
            case { ValueKind: JsonValueKind.String } text:
                return Text(text, param);
            case { ValueKind: JsonValueKind.Array } parts:
                var joined = new StringBuilder();
                var i = 0;
                foreach (var part in parts.EnumerateArray())
                {
                    if (part.ValueKind != JsonValueKind.Object
                        || !part.TryGetProperty("type", out var type) || !type.ValueEquals("text")
                        || !part.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
                    {
                        throw new InvalidOpenAiRequestException(
                            $"{param}[{i}] is not a text part; only {{\"type\": \"text\", \"text\": \"...\"}} parts are supported.", $"{param}[{i}]");
                    }

                    joined.Append(Text(text, $"{param}[{i}].text"));
                    i++;
                }

                return joined.ToString();
            default:
                throw new InvalidOpenAiRequestException($"'{param}' is {Describe(content.Value)}; send a string or an array of text parts.", param);
        }
    }

    /// <summary>A JSON string's text; an escaped lone surrogate (<c>"\ud800"</c>) is valid JSON but no text at all.</summary>
    private static string Text(JsonElement value, string param)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOpenAiRequestException($"'{param}' is not valid text: {e.Message}", param);
        }
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}

using System.Text;
using System.Text.Json;
using SlmCluster.Contracts;
using SlmCluster.Gateway.Serving;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>
/// Translates OpenAI request bodies into the pipeline's <see cref="ServingRequest"/>. Only what OpenAI's shapes say
/// is checked here; limits and ranges are <see cref="ServingRequestRules"/>', so every front door refuses alike.
/// </summary>
internal static class OpenAiRequestMapper
{
    /// <summary>OpenAI's default temperature when a request sends none.</summary>
    public const float DefaultTemperature = 1f;

    /// <summary>The most alternatives the legacy completions endpoint reports per token (its <c>logprobs</c>), as OpenAI's.</summary>
    public const int MaxCompletionLogprobs = 5;

    public static ServingRequest ToServingRequest(ChatCompletionRequest body)
    {
        OpenAiUnsupportedFields.Refuse(body);
        if (body.Messages is null)
        {
            throw new InvalidOpenAiRequestException("'messages' is required: an array of {\"role\", \"content\"} turns.", "messages");
        }

        var messages = new ChatTurnMessage[body.Messages.Count];
        for (var i = 0; i < messages.Length; i++)
        {
            var message = body.Messages[i]
                ?? throw new InvalidOpenAiRequestException($"messages[{i}] is null; each message is an object with 'role' and 'content'.", $"messages[{i}]");
            // "developer" is what newer OpenAI clients call the system prompt.
            messages[i] = new ChatTurnMessage(message.Role == "developer" ? "system" : message.Role ?? "", Content(message.Content, $"messages[{i}].content"));
        }

        if (messages.Length == 0)
        {
            throw new InvalidOpenAiRequestException("'messages' is empty; send at least one message.", "messages");
        }

        if (body.TopLogprobs is not null && body.Logprobs != true)
        {
            throw new InvalidOpenAiRequestException("'top_logprobs' needs 'logprobs': true; set both, or leave 'top_logprobs' out.", "top_logprobs");
        }

        var maxTokens = body.MaxCompletionTokens ?? body.MaxTokens;
        return Request(body, Call(body, maxTokens, body.MaxCompletionTokens is null ? "max_tokens" : "max_completion_tokens") with
        {
            Messages = messages,
            Logprobs = body.Logprobs == true,
            TopLogprobs = body.TopLogprobs ?? 0,
        }) with
        {
            Tools = OpenAiTools.Read(body),
            ToolTurns = OpenAiTools.Turns(body.Messages),
        };
    }

    public static ServingRequest ToServingRequest(CompletionRequest body)
    {
        OpenAiUnsupportedFields.Refuse(body);
        var call = Call(body, body.MaxTokens, "max_tokens") with { Prompt = Prompt(body.Prompt) };
        if (call.Prompt!.Length == 0)
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

            call = call with { Logprobs = true, TopLogprobs = logprobs };
        }

        return Request(body, call);
    }

    private static ServingRequest Request(OpenAiGenerationRequest body, GenerationCall call) => new()
    {
        Call = ServingRequestRules.Normalize(call),
        SessionId = body.User ?? "",
        ResponseFormat = OpenAiResponseFormat.Read(body),
        Adapters = Lora(body.Lora),
    };

    /// <summary>llama-server's <c>lora</c>: an array of <c>{"id"}</c> or <c>{"name"}</c> objects with an optional <c>"scale"</c> (1).</summary>
    private static AdapterReference[]? Lora(JsonElement? lora)
    {
        if (lora is not { ValueKind: not JsonValueKind.Null } value)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidOpenAiRequestException("'lora' is an array of {\"id\": <position>} or {\"name\": \"adapter\"} objects, each with an optional \"scale\".", "lora");
        }

        var references = new List<AdapterReference>();
        var i = 0;
        foreach (var entry in value.EnumerateArray())
        {
            var param = $"lora[{i++}]";
            if (entry.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidOpenAiRequestException($"{param} is not an object; send {{\"id\": 0}} or {{\"name\": \"adapter\"}} with an optional \"scale\".", param);
            }

            string? name = null;
            int? id = null;
            var scale = 1f;
            foreach (var property in entry.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "name" when property.Value.ValueKind == JsonValueKind.String && property.Value.GetString() is { Length: > 0 } text:
                        name = text;
                        break;
                    case "id" when property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetInt32(out var position):
                        id = position;
                        break;
                    case "scale" when property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetDouble(out var number):
                        scale = (float)number;
                        break;
                    default:
                        throw new InvalidOpenAiRequestException(
                            $"{param}.{property.Name} is not understood; an entry has \"id\" (an integer) or \"name\" (a string), and \"scale\" (a number).", $"{param}.{property.Name}");
                }
            }

            if ((name is null) == (id is null))
            {
                throw new InvalidOpenAiRequestException($"{param} needs exactly one of \"id\" or \"name\".", param);
            }

            references.Add(new AdapterReference(name, id, scale, param));
        }

        return references.Count == 0 ? null : [.. references];
    }

    private static GenerationCall Call(OpenAiGenerationRequest body, int? maxTokens, string maxTokensParam)
    {
        if (body.N is { } n && n != 1)
        {
            throw new InvalidOpenAiRequestException($"'n' is {n}; only 1 is supported. Send one request per completion.", "n");
        }

        if (maxTokens is < 1)
        {
            throw new InvalidOpenAiRequestException($"'{maxTokensParam}' is {maxTokens}; it must be at least 1.", maxTokensParam);
        }

        return new GenerationCall
        {
            Model = body.Model ?? "",
            MaxTokens = maxTokens ?? 0,
            IgnoreEndOfSequence = body.IgnoreEos ?? false,
            Temperature = (float)(body.Temperature ?? DefaultTemperature),
            TopP = (float)(body.TopP ?? 1),
            TopK = body.TopK ?? 0,
            // The engine's seed is 32 bits; the low bits keep any 64-bit seed reproducible.
            Seed = body.Seed is { } seed ? unchecked((uint)seed) : null,
            Stop = Stop(body.Stop),
            PresencePenalty = (float?)body.PresencePenalty,
            FrequencyPenalty = (float?)body.FrequencyPenalty,
            RepeatPenalty = (float?)body.RepeatPenalty,
            RepeatLastN = body.RepeatLastN,
            LogitBias = LogitBias(body.LogitBias),
        };
    }

    /// <summary>OpenAI's <c>logit_bias</c>: an object whose keys are token ids; its values' ranges are the rules'.</summary>
    private static Dictionary<int, float>? LogitBias(JsonElement? bias)
    {
        switch (bias)
        {
            case null:
            case { ValueKind: JsonValueKind.Null }:
                return null;
            case { ValueKind: JsonValueKind.Object } map:
                var biases = new Dictionary<int, float>();
                foreach (var entry in map.EnumerateObject())
                {
                    if (!int.TryParse(entry.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var token))
                    {
                        throw new InvalidOpenAiRequestException(
                            $"logit_bias has the key \"{Short(entry.Name)}\"; its keys are token ids (\"1234\").", "logit_bias");
                    }

                    if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetDouble(out var value))
                    {
                        throw new InvalidOpenAiRequestException(
                            $"logit_bias[\"{token}\"] is {Describe(entry.Value)}; a bias is a number from -100 to 100.", "logit_bias");
                    }

                    biases[token] = (float)value;
                }

                return biases.Count == 0 ? null : biases;
            default:
                throw new InvalidOpenAiRequestException($"'logit_bias' is {Describe(bias.Value)}; send an object of token ids to biases.", "logit_bias");
        }
    }

    private static string Short(string text) => text.Length <= 20 ? text : text[..20] + "...";

    private static string[] Stop(JsonElement? stop)
    {
        switch (stop)
        {
            case null:
            case { ValueKind: JsonValueKind.Null }:
                return [];
            case { ValueKind: JsonValueKind.String } one:
                return [Text(one, "stop")];
            case { ValueKind: JsonValueKind.Array } many:
                var stops = new List<string>();
                var i = 0;
                foreach (var item in many.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String)
                    {
                        throw new InvalidOpenAiRequestException($"stop[{i}] is {Describe(item)}; stop sequences are strings.", $"stop[{i}]");
                    }

                    stops.Add(Text(item, $"stop[{i}]"));
                    i++;
                }

                return [.. stops];
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

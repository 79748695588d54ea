using System.Text.Json;
using SlmCluster.Contracts;
using SlmCluster.Gateway.Serving;

namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>
/// Translates <c>/api/generate</c> and <c>/api/chat</c> bodies into the pipeline's <see cref="ServingRequest"/>. Only
/// what Ollama's shapes say is checked here; limits and ranges are <see cref="ServingRequestRules"/>', so every front
/// door refuses alike. <see cref="Request"/> is the one place a serving request is made.
/// </summary>
internal static class OllamaRequestMapper
{
    public static OllamaMappedRequest ToServingRequest(OllamaGenerateRequest body)
    {
        var name = Name(body);
        if (!string.IsNullOrEmpty(body.Template))
        {
            throw new InvalidOllamaRequestException(
                "'template' is not served: the gateway renders prompts with the model's own chat template and runs no Go templates. Leave it out, or send a raw prompt ('raw': true).");
        }

        if (!string.IsNullOrEmpty(body.Suffix))
        {
            throw new InvalidOllamaRequestException("'suffix' (fill-in-the-middle) is not served; leave it out.");
        }

        if (!IsEmpty(body.Context))
        {
            throw new InvalidOllamaRequestException("'context' (the tokens of an earlier answer) is not served; send the conversation to /api/chat as messages.");
        }

        RefuseImages(body.Images, "images");
        var prompt = body.Prompt ?? "";
        var system = body.System ?? "";
        var raw = body.Raw ?? false;
        if (raw && system.Length > 0)
        {
            throw new InvalidOllamaRequestException("'system' cannot go with 'raw': true, which sends the prompt as it is; put the system text in the prompt.");
        }

        var options = OllamaOptions.Read(body.Options);
        if (prompt.Length == 0)
        {
            // Ollama's way to load a model ahead of its requests: nothing is generated.
            return new OllamaMappedRequest(name, null, OllamaModelNames.ToModelId(name), body.Stream ?? true, options.NumCtx);
        }

        var call = raw
            ? new GenerationCall { Prompt = prompt }
            : new GenerationCall { Messages = system.Length > 0 ? [new("system", system), new("user", prompt)] : [new("user", prompt)] };
        return Request(body, name, call, options);
    }

    public static OllamaMappedRequest ToServingRequest(OllamaChatRequest body)
    {
        var name = Name(body);
        var messages = new OllamaChatMessage[body.Messages?.Count ?? 0];
        for (var i = 0; i < messages.Length; i++)
        {
            messages[i] = body.Messages![i]
                ?? throw new InvalidOllamaRequestException($"messages[{i}] is null; each message is an object with 'role' and 'content'.");
            RefuseImages(messages[i].Images, $"messages[{i}].images");
        }

        var tools = OllamaTools.Read(body.Tools);
        var turns = OllamaTools.Turns(messages);
        var options = OllamaOptions.Read(body.Options);
        if (messages.Length == 0)
        {
            return new OllamaMappedRequest(name, null, OllamaModelNames.ToModelId(name), body.Stream ?? true, options.NumCtx);
        }

        var call = new GenerationCall { Messages = [.. messages.Select(m => new ChatTurnMessage(m.Role ?? "", m.Content ?? ""))] };
        var mapped = Request(body, name, call, options);
        return mapped with { Request = mapped.Request! with { Tools = tools, ToolTurns = turns } };
    }

    /// <summary>The serving request for a call of either endpoint: its options, its format and its model.</summary>
    private static OllamaMappedRequest Request(OllamaGenerationRequest body, string name, GenerationCall call, OllamaOptions options)
    {
        RefuseThinking(body.Think);
        if (body.Logprobs == true || body.TopLogprobs > 0)
        {
            throw new InvalidOllamaRequestException("'logprobs' are not yet served on the Ollama API; the OpenAI API here serves them (POST /v1/completions).");
        }

        var request = new ServingRequest
        {
            Call = ServingRequestRules.Normalize(call with
            {
                Model = OllamaModelNames.ToModelId(name),
                MaxTokens = options.NumPredict ?? 0,
                Temperature = options.Temperature,
                TopK = options.TopK,
                TopP = options.TopP,
                Seed = options.Seed,
                Stop = options.Stop,
                RepeatPenalty = options.RepeatPenalty,
                RepeatLastN = options.RepeatLastN,
                PresencePenalty = options.PresencePenalty,
                FrequencyPenalty = options.FrequencyPenalty,
            }),
            ResponseFormat = Format(body.Format),
        };
        return new OllamaMappedRequest(name, request, request.Model, body.Stream ?? true, options.NumCtx);
    }

    private static string Name(OllamaGenerationRequest body) => string.IsNullOrEmpty(body.Model)
        ? throw new InvalidOllamaRequestException("'model' is required: the name of a model that /api/tags lists.")
        : body.Model;

    /// <summary><c>"json"</c>: any JSON value; an object: a JSON Schema; empty or absent: free text.</summary>
    private static ResponseFormat? Format(JsonElement? format)
    {
        switch (format)
        {
            case null:
            case { ValueKind: JsonValueKind.Null }:
                return null;
            case { ValueKind: JsonValueKind.String } text when text.ValueEquals(""):
                return null;
            case { ValueKind: JsonValueKind.String } text when text.ValueEquals("json"):
                return ResponseFormat.JsonObject("format");
            case { ValueKind: JsonValueKind.Object } schema:
                return ResponseFormat.JsonSchema(schema.GetRawText(), "format");
            default:
                throw new InvalidOllamaRequestException($"'format' is {format.Value.GetRawText()}; send \"json\" or a JSON Schema object.");
        }
    }

    private static void RefuseImages(JsonElement? images, string param)
    {
        if (!IsEmpty(images))
        {
            throw new InvalidOllamaRequestException($"'{param}': images are not served; the models here read text only.");
        }
    }

    private static void RefuseThinking(JsonElement? think)
    {
        if (think is { ValueKind: not (JsonValueKind.Null or JsonValueKind.False) })
        {
            throw new InvalidOllamaRequestException($"'think' is {think.Value.GetRawText()}; the models here do not think aloud. Leave it out or send false.");
        }
    }

    /// <summary>Absent, null, an empty array or an empty string: nothing that changes the answer.</summary>
    private static bool IsEmpty(JsonElement? value) => value switch
    {
        null => true,
        { ValueKind: JsonValueKind.Null } => true,
        { ValueKind: JsonValueKind.Array } array => array.GetArrayLength() == 0,
        { ValueKind: JsonValueKind.String } text => text.ValueEquals(""),
        _ => false,
    };
}

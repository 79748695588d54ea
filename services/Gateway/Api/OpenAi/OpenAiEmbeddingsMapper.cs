using System.Text.Json;
using SlmCluster.Contracts;
using SlmCluster.Gateway.Serving.Embeddings;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>
/// An OpenAI embeddings body as the embedding pipeline's request. Only what the wire shape itself can get wrong is
/// checked here (the kinds of <c>input</c>, <c>encoding_format</c>); the limits are <see cref="EmbeddingRequestRules"/>'.
/// </summary>
public static class OpenAiEmbeddingsMapper
{
    /// <exception cref="InvalidOpenAiRequestException">input is missing or of a shape OpenAI does not define, or encoding_format is unknown.</exception>
    public static EmbeddingServingRequest ToServingRequest(EmbeddingsRequest body)
    {
        if (body.EncodingFormat is not (null or "float" or "base64"))
        {
            throw new InvalidOpenAiRequestException($"encoding_format is '{body.EncodingFormat}'; use 'float' or 'base64'.", "encoding_format");
        }

        if (body.Dimensions is < 1)
        {
            throw new InvalidOpenAiRequestException($"dimensions is {body.Dimensions}; it must be 1 or more (leave it out for the model's full width).", "dimensions");
        }

        return new EmbeddingServingRequest
        {
            Call = new EmbeddingCall
            {
                Model = body.Model ?? "",
                Inputs = InputsOf(body.Input),
                Dimensions = body.Dimensions ?? 0,
                Truncate = body.Truncate ?? false,
            },
        };
    }

    /// <summary>Whether vectors go out as base64.</summary>
    public static bool WantsBase64(EmbeddingsRequest body) => body.EncodingFormat == "base64";

    private static EmbeddingCallInput[] InputsOf(JsonElement? input)
    {
        if (input is not { } value || value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            throw new InvalidOpenAiRequestException("'input' is required: a string, an array of strings, or token ids.", "input");
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return [new EmbeddingCallInput { Text = value.GetString()! }];
            case JsonValueKind.Array:
                var length = value.GetArrayLength();
                if (length == 0)
                {
                    return [];
                }

                var first = value[0].ValueKind;
                if (first == JsonValueKind.Number)
                {
                    // One input as token ids.
                    return [new EmbeddingCallInput { Tokens = TokensOf(value, "input") }];
                }

                var inputs = new EmbeddingCallInput[length];
                var i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    inputs[i] = item.ValueKind switch
                    {
                        JsonValueKind.String when first == JsonValueKind.String => new EmbeddingCallInput { Text = item.GetString()! },
                        JsonValueKind.Array when first == JsonValueKind.Array => new EmbeddingCallInput { Tokens = TokensOf(item, $"input[{i}]") },
                        _ => throw new InvalidOpenAiRequestException(
                            $"input[{i}] is {Kind(item.ValueKind)}; 'input' must be all strings, all token ids, or all arrays of token ids.", "input"),
                    };
                    i++;
                }

                return inputs;
            default:
                throw new InvalidOpenAiRequestException($"'input' is {Kind(value.ValueKind)}; send a string, an array of strings, or token ids.", "input");
        }
    }

    private static int[] TokensOf(JsonElement array, string where)
    {
        var tokens = new int[array.GetArrayLength()];
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out tokens[i]))
            {
                throw new InvalidOpenAiRequestException($"{where}[{i}] is not a token id (an integer).", "input");
            }

            i++;
        }

        return tokens;
    }

    private static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        _ => "a string",
    };
}

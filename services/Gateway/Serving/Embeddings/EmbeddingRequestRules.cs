using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Configuration;

namespace SlmCluster.Gateway.Serving.Embeddings;

/// <summary>Every limit on an embedding request, in one place, whichever front door it came through.</summary>
public sealed class EmbeddingRequestRules(IOptions<GatewayOptions> options)
{
    /// <summary>Inputs one request may carry: OpenAI's own limit, so a client that batches for it fits here.</summary>
    public const int MaxInputs = 2048;

    /// <summary>The first problem with <paramref name="request"/>, or null when it is valid.</summary>
    public RequestProblem? Validate(EmbeddingServingRequest request)
    {
        var call = request.Call;
        var maxCharacters = options.Value.MaxPromptCharacters;
        if (call.Inputs.Count == 0)
        {
            return new("'input' is empty: send a string, an array of strings, or token ids to embed.", "input");
        }

        if (call.Inputs.Count > MaxInputs)
        {
            return new($"'input' has {call.Inputs.Count} items; the limit is {MaxInputs} per request. Split it into several requests.", "input");
        }

        for (var i = 0; i < call.Inputs.Count; i++)
        {
            var input = call.Inputs[i];
            if (input.Tokens is { } tokens)
            {
                if (tokens.Count == 0)
                {
                    return new($"input[{i}] is an empty array of token ids.", "input");
                }

                if (tokens.Count > maxCharacters)
                {
                    return new($"input[{i}] has {tokens.Count} token ids; the limit is {maxCharacters}.", "input");
                }

                for (var t = 0; t < tokens.Count; t++)
                {
                    if (tokens[t] < 0)
                    {
                        return new($"input[{i}] has token id {tokens[t]} at position {t}; token ids are 0 or more.", "input");
                    }
                }
            }
            else if (input.Text.Length == 0)
            {
                return new($"input[{i}] is an empty string; every input needs at least one character.", "input");
            }
            else if (input.Text.Length > maxCharacters)
            {
                return new($"input[{i}] is {input.Text.Length} characters; the limit is {maxCharacters}.", "input");
            }
        }

        if (call.Dimensions < 0)
        {
            return new($"dimensions is {call.Dimensions}; it must be 1 or more (or left out for the model's full width).", "dimensions");
        }

        if (request.CacheTtlSeconds < 0)
        {
            return new($"cache.ttl_seconds is {request.CacheTtlSeconds}; it must be 0 (default) or positive.", "cache.ttl_seconds");
        }

        return null;
    }

    /// <summary>The limits that depend on the model: its width (for dimensions).</summary>
    public static RequestProblem? ValidateFor(EmbeddingServingRequest request, Protocol.V1.ModelInfo model) =>
        model.EmbeddingDimensions > 0 && request.Call.Dimensions > model.EmbeddingDimensions
            ? new($"dimensions is {request.Call.Dimensions}; the vectors of '{model.Id}' have {model.EmbeddingDimensions}, so ask for 1 to {model.EmbeddingDimensions}.", "dimensions")
            : null;
}

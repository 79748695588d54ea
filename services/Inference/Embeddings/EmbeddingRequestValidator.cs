namespace SlmCluster.Inference;

/// <summary>
/// Checks an embedding request on the caller's thread and turns its inputs into tokens the engine can decode: nothing
/// that reaches llama.cpp can be out of the vocabulary, empty, or longer than one decode.
/// </summary>
internal static class EmbeddingRequestValidator
{
    /// <exception cref="InferenceException">InvalidArgument, with what to change.</exception>
    public static int[][] Prepare(EmbeddingRequest request, LlamaModel model, int maxInputTokens, int maxInputs, int width, out int truncated)
    {
        ArgumentNullException.ThrowIfNull(request);
        IReadOnlyList<EmbeddingInput> inputs = request.Inputs ?? [];
        if (inputs.Count == 0)
        {
            throw new InferenceException(InferenceErrorKind.InvalidArgument, "input is empty: send at least one text to embed");
        }
        if (inputs.Count > maxInputs)
        {
            throw new InferenceException(InferenceErrorKind.InvalidArgument, $"input has {inputs.Count} items; the limit is {maxInputs} per request");
        }
        if (request.Dimensions < 0 || request.Dimensions > width)
        {
            throw new InferenceException(InferenceErrorKind.InvalidArgument,
                $"dimensions is {request.Dimensions}; this model's vectors have {width}, so ask for 1 to {width} (0 keeps them all)");
        }

        int vocab = model.Metadata.VocabSize;
        truncated = 0;
        var prepared = new int[inputs.Count][];
        for (int i = 0; i < inputs.Count; i++)
        {
            EmbeddingInput input = inputs[i];
            int[] tokens;
            if (input.Tokens is { } ids)
            {
                tokens = new int[ids.Count];
                for (int t = 0; t < ids.Count; t++)
                {
                    int id = ids[t];
                    if (id < 0 || id >= vocab)
                    {
                        throw new InferenceException(InferenceErrorKind.InvalidArgument,
                            $"input[{i}] has token id {id} at position {t}; this model's vocabulary has ids 0 to {vocab - 1}");
                    }
                    tokens[t] = id;
                }
            }
            else
            {
                tokens = model.Tokenize(input.Text ?? "", addSpecial: true, parseSpecial: false);
            }
            if (tokens.Length == 0 || (input.Tokens is null && string.IsNullOrEmpty(input.Text)))
            {
                throw new InferenceException(InferenceErrorKind.InvalidArgument, $"input[{i}] is empty: every input needs at least one character or token");
            }
            if (tokens.Length > maxInputTokens)
            {
                if (!request.Truncate)
                {
                    throw new InferenceException(InferenceErrorKind.InvalidArgument,
                        $"input[{i}] is {tokens.Length} tokens; this model embeds at most {maxInputTokens} tokens per input. " +
                        "Shorten it, or ask for truncation (truncate: true) to embed its first tokens");
                }
                tokens = tokens[..maxInputTokens];
                truncated++;
            }
            prepared[i] = tokens;
        }
        return prepared;
    }
}

namespace SlmCluster.Inference;

/// <summary>Checks a <see cref="GenerationRequest"/> before it is queued; every refusal says what to change.</summary>
internal static class GenerationRequestValidator
{
    public static void Validate(GenerationRequest request, int maxTokensLimit, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(request);
        bool hasMessages = request.Messages is { Count: > 0 };
        if (!hasMessages && string.IsNullOrEmpty(request.Prompt))
        {
            throw Invalid("the request has neither a prompt nor messages");
        }
        if (hasMessages && !string.IsNullOrEmpty(request.Prompt))
        {
            throw Invalid("the request has both a prompt and messages; send one of them");
        }
        if (hasMessages)
        {
            for (int i = 0; i < request.Messages!.Count; i++)
            {
                ChatTurn turn = request.Messages[i];
                if (string.IsNullOrWhiteSpace(turn.Role))
                {
                    throw Invalid($"message {i} has no role (use system, user or assistant)");
                }
                if (turn.Content is null)
                {
                    throw Invalid($"message {i} has no content");
                }
            }
        }
        if (request.MaxTokens < 1 || request.MaxTokens > maxTokensLimit)
        {
            throw Invalid($"max_tokens is {request.MaxTokens}; it must be between 1 and {maxTokensLimit}");
        }

        SamplingOptions sampling = request.Sampling ?? throw Invalid("sampling options are missing");
        if (!(sampling.Temperature >= 0) || float.IsInfinity(sampling.Temperature))
        {
            throw Invalid($"temperature is {sampling.Temperature}; it must be 0 (greedy) or more");
        }
        if (!(sampling.TopP is >= 0 and <= 1))
        {
            throw Invalid($"top_p is {sampling.TopP}; it must be between 0 and 1");
        }
        if (sampling.TopK < 0)
        {
            throw Invalid($"top_k is {sampling.TopK}; it must be 0 (off) or more");
        }
        if (!(sampling.MinP is >= 0 and <= 1))
        {
            throw Invalid($"min_p is {sampling.MinP}; it must be between 0 and 1");
        }
        if (!(sampling.RepeatPenalty > 0) || float.IsInfinity(sampling.RepeatPenalty))
        {
            throw Invalid($"repeat_penalty is {sampling.RepeatPenalty}; it must be more than 0 (1 = off)");
        }
        if (!float.IsFinite(sampling.FrequencyPenalty))
        {
            throw Invalid($"frequency_penalty is {sampling.FrequencyPenalty}; it must be a finite number (0 = off)");
        }
        if (!float.IsFinite(sampling.PresencePenalty))
        {
            throw Invalid($"presence_penalty is {sampling.PresencePenalty}; it must be a finite number (0 = off)");
        }
        if (sampling.PenaltyWindow < 0)
        {
            throw Invalid($"repeat_last_n is {sampling.PenaltyWindow}; it must be 0 (penalties off) or more");
        }
        ValidateLogitBias(sampling.LogitBias ?? throw Invalid("logit_bias is missing"), vocabSize);

        if (request.TopLogprobs is < 0 or > GenerationRequest.MaxTopLogprobs)
        {
            throw Invalid($"top_logprobs is {request.TopLogprobs}; it must be between 0 and {GenerationRequest.MaxTopLogprobs}");
        }

        IReadOnlyList<string> stops = request.Stop ?? [];
        for (int i = 0; i < stops.Count; i++)
        {
            if (string.IsNullOrEmpty(stops[i]))
            {
                throw Invalid($"stop string {i} is empty");
            }
        }
    }

    /// <summary>llama.cpp indexes the candidates by a biased token's id: one outside the vocabulary must never reach it.</summary>
    private static void ValidateLogitBias(IReadOnlyDictionary<int, float> biases, int vocabSize)
    {
        if (biases.Count > SamplingOptions.MaxLogitBiasEntries)
        {
            throw Invalid($"logit_bias has {biases.Count} entries; the limit is {SamplingOptions.MaxLogitBiasEntries}");
        }
        foreach ((int token, float bias) in biases)
        {
            if (token < 0 || token >= vocabSize)
            {
                throw Invalid($"logit_bias names token {token}; this model's token ids are 0 to {vocabSize - 1}");
            }
            if (!float.IsFinite(bias))
            {
                throw Invalid($"logit_bias of token {token} is {bias}; it must be a finite number");
            }
        }
    }

    private static InferenceException Invalid(string message) => new(InferenceErrorKind.InvalidArgument, message);
}

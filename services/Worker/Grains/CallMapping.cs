using SlmCluster.Contracts;
using SlmCluster.Inference;

namespace SlmCluster.Worker.Grains;

/// <summary>Translates between the grain contract and the engine's types.</summary>
internal static class CallMapping
{
    public static GenerationRequest ToGenerationRequest(GenerationCall call, int defaultMaxTokens)
    {
        var maxTokens = call.MaxTokens == 0 ? defaultMaxTokens : call.MaxTokens;
        return new GenerationRequest
        {
            Prompt = call.Messages is { Count: > 0 } ? null : call.Prompt ?? "",
            Messages = call.Messages is { Count: > 0 } messages ? messages.Select(m => new ChatTurn(m.Role, m.Content)).ToArray() : null,
            MaxTokens = maxTokens,
            Stop = call.Stop.ToArray(),
            IgnoreEndOfSequence = call.IgnoreEndOfSequence,
            Logprobs = call.Logprobs,
            TopLogprobs = call.TopLogprobs,
            Grammar = string.IsNullOrEmpty(call.Grammar) ? null : call.Grammar,
            Adapters = call.Adapters is { Count: > 0 } adapters ? adapters.Select(a => new AdapterChoice(a.Name, a.Scale)).ToArray() : [],
            Sampling = new SamplingOptions
            {
                Temperature = call.Temperature,
                TopP = call.TopP == 0 ? 1 : call.TopP,
                TopK = call.TopK,
                Seed = call.Seed,
                RepeatPenalty = call.RepeatPenalty ?? 1,
                FrequencyPenalty = call.FrequencyPenalty ?? 0,
                PresencePenalty = call.PresencePenalty ?? 0,
                PenaltyWindow = PenaltyWindow(call, maxTokens),
                LogitBias = call.LogitBias ?? new Dictionary<int, float>(),
            },
        };
    }

    /// <summary>
    /// repeat_last_n as sent (-1: the whole answer); unsent, llama-server's window for its repeat penalty, and the
    /// whole answer for OpenAI's frequency and presence penalties, which count every token generated so far.
    /// </summary>
    private static int PenaltyWindow(GenerationCall call, int maxTokens) => call.RepeatLastN switch
    {
        -1 => maxTokens,
        { } window => window,
        null when call.FrequencyPenalty is not null || call.PresencePenalty is not null => maxTokens,
        null => SamplingOptions.DefaultPenaltyWindow,
    };

    /// <summary>The engine's token logprobs as the contract carries them; null stays null (the call did not ask).</summary>
    public static IReadOnlyList<TokenLogprob>? ToLogprobs(IReadOnlyList<GeneratedToken>? tokens)
    {
        if (tokens is null)
        {
            return null;
        }

        var entries = new TokenLogprob[tokens.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            var token = tokens[i];
            var top = token.TopAlternatives.Count == 0 ? [] : new TopLogprob[token.TopAlternatives.Count];
            for (var j = 0; j < top.Length; j++)
            {
                var alternative = token.TopAlternatives[j];
                top[j] = new TopLogprob(alternative.Text, alternative.Bytes, alternative.Logprob);
            }

            entries[i] = new TokenLogprob { Token = token.Text, Bytes = token.Bytes, Logprob = token.Logprob, Top = top };
        }

        return entries;
    }

    public static PieceFinishReason ToFinishReason(GenerationFinishReason reason) => reason switch
    {
        GenerationFinishReason.Stop => PieceFinishReason.Stop,
        GenerationFinishReason.Length => PieceFinishReason.Length,
        GenerationFinishReason.Cancelled => PieceFinishReason.Cancelled,
        _ => PieceFinishReason.Unspecified,
    };

    public static ModelWorkerException ToWorkerException(InferenceException exception) => new(exception.Kind switch
    {
        InferenceErrorKind.InvalidArgument => WorkerErrorKind.InvalidArgument,
        InferenceErrorKind.ResourceExhausted => WorkerErrorKind.ResourceExhausted,
        InferenceErrorKind.Unavailable => WorkerErrorKind.Unavailable,
        _ => WorkerErrorKind.Internal,
    }, exception.Message, exception.RetryAfter?.TotalSeconds);
}

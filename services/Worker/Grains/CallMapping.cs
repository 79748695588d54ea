using SlmCluster.Contracts;
using SlmCluster.Inference;

namespace SlmCluster.Worker.Grains;

/// <summary>Translates between the grain contract and the engine's types.</summary>
internal static class CallMapping
{
    public static GenerationRequest ToGenerationRequest(GenerationCall call, int defaultMaxTokens) => new()
    {
        Prompt = call.Messages is { Count: > 0 } ? null : call.Prompt ?? "",
        Messages = call.Messages is { Count: > 0 } messages ? messages.Select(m => new ChatTurn(m.Role, m.Content)).ToArray() : null,
        MaxTokens = call.MaxTokens == 0 ? defaultMaxTokens : call.MaxTokens,
        Stop = call.Stop.ToArray(),
        IgnoreEndOfSequence = call.IgnoreEndOfSequence,
        Sampling = new SamplingOptions
        {
            Temperature = call.Temperature,
            TopP = call.TopP == 0 ? 1 : call.TopP,
            TopK = call.TopK,
            Seed = call.Seed,
        },
    };

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

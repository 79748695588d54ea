using Grpc.Core;
using SlmCluster.Inference;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Worker.Api;

/// <summary>Translates between the wire contract and the engine's types.</summary>
internal static class ProtocolMapping
{
    public static GenerationRequest ToGenerationRequest(GenerateRequest request, int defaultMaxTokens)
    {
        var sampling = request.Sampling;
        return new GenerationRequest
        {
            Prompt = request.Messages.Count == 0 ? request.Prompt : null,
            Messages = request.Messages.Count == 0 ? null : request.Messages.Select(m => new ChatTurn(m.Role, m.Content)).ToArray(),
            MaxTokens = request.MaxTokens == 0 ? defaultMaxTokens : request.MaxTokens,
            Stop = request.Stop.ToArray(),
            IgnoreEndOfSequence = request.IgnoreEos,
            Sampling = sampling is null
                ? new SamplingOptions()
                : new SamplingOptions
                {
                    Temperature = sampling.Temperature,
                    TopP = sampling.TopP == 0 ? 1 : sampling.TopP,
                    TopK = sampling.TopK,
                    Seed = sampling.HasSeed ? sampling.Seed : null,
                },
        };
    }

    public static FinishReason ToFinishReason(GenerationFinishReason reason) => reason switch
    {
        GenerationFinishReason.Stop => FinishReason.Stop,
        GenerationFinishReason.Length => FinishReason.Length,
        GenerationFinishReason.Cancelled => FinishReason.Cancelled,
        _ => FinishReason.Unspecified,
    };

    public static RpcException ToRpcException(InferenceException exception) => new(new Status(exception.Kind switch
    {
        InferenceErrorKind.InvalidArgument => StatusCode.InvalidArgument,
        InferenceErrorKind.ResourceExhausted => StatusCode.ResourceExhausted,
        InferenceErrorKind.Unavailable => StatusCode.Unavailable,
        _ => StatusCode.Internal,
    }, exception.Message));

    public static Usage ToUsage(GenerationResult result) => new()
    {
        PromptTokens = result.PromptTokens,
        CompletionTokens = result.CompletionTokens,
        ReusedPromptTokens = result.ReusedPromptTokens,
    };
}

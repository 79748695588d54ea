using SlmCluster.Contracts;
using SlmCluster.Gateway.Serving.Embeddings;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Api.Grpc;

/// <summary>A gRPC <see cref="EmbedRequest"/> as the embedding pipeline's request; the limits are the pipeline's rules'.</summary>
public static class GrpcEmbeddingMapper
{
    public static EmbeddingServingRequest ToServingRequest(EmbedRequest request) => new()
    {
        Call = new EmbeddingCall
        {
            Model = request.Model,
            Inputs = request.Inputs.Select(input => input.InputCase == EmbedInput.InputOneofCase.Tokens
                ? new EmbeddingCallInput { Tokens = input.Tokens.Ids.ToArray() }
                : new EmbeddingCallInput { Text = input.Text }).ToArray(),
            Dimensions = request.Dimensions,
            Truncate = request.Truncate,
        },
        BypassCache = request.Cache?.Bypass ?? false,
        CacheTtlSeconds = request.Cache?.TtlSeconds ?? 0,
    };
}

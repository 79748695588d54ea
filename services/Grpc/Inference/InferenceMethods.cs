using SlmCluster.Protocol.V1;

namespace SlmCluster.Grpc;

/// <summary>The methods of <c>slm.v1.Inference</c> (protos/slm/v1/inference.proto).</summary>
public static class InferenceMethods
{
    public const string ServiceName = "slm.v1.Inference";

    public static readonly GrpcMethod<GenerateRequest, GenerateResponse> Generate =
        new(ServiceName, "Generate", GrpcMethodType.Unary, GenerateRequest.Parser, GenerateResponse.Parser);

    public static readonly GrpcMethod<GenerateRequest, GenerateChunk> GenerateStream =
        new(ServiceName, "GenerateStream", GrpcMethodType.ServerStreaming, GenerateRequest.Parser, GenerateChunk.Parser);

    public static readonly GrpcMethod<ListModelsRequest, ListModelsResponse> ListModels =
        new(ServiceName, "ListModels", GrpcMethodType.Unary, ListModelsRequest.Parser, ListModelsResponse.Parser);
}

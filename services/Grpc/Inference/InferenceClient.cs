using SlmCluster.Protocol.V1;

namespace SlmCluster.Grpc;

/// <summary>Calls <c>slm.v1.Inference</c> on a gateway or a worker.</summary>
public sealed class InferenceClient
{
    private readonly GrpcChannel _channel;

    public InferenceClient(GrpcChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        _channel = channel;
    }

    public Task<GenerateResponse> GenerateAsync(GenerateRequest request, CallOptions options = default) =>
        _channel.UnaryAsync(InferenceMethods.Generate, request, options);

    public AsyncServerStreamingCall<GenerateChunk> GenerateStream(GenerateRequest request, CallOptions options = default) =>
        _channel.ServerStreaming(InferenceMethods.GenerateStream, request, options);

    public Task<ListModelsResponse> ListModelsAsync(ListModelsRequest request, CallOptions options = default) =>
        _channel.UnaryAsync(InferenceMethods.ListModels, request, options);
}

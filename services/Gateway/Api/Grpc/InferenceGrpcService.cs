using Grpc.Core;
using SlmCluster.Client;
using SlmCluster.Gateway.Security;
using SlmCluster.Gateway.Serving;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Api.Grpc;

/// <summary>The gateway's <c>slm.v1.Inference</c>: the wire request into the serving pipeline, its chunks back out.</summary>
public sealed class InferenceGrpcService(ServingPipeline pipeline, ModelCatalog catalog) : Inference.InferenceBase
{
    public override async Task<GenerateResponse> Generate(GenerateRequest request, ServerCallContext context) =>
        await ServeAsync(request, context).CollectAsync(context.CancellationToken);

    public override async Task GenerateStream(GenerateRequest request, IServerStreamWriter<GenerateChunk> responseStream, ServerCallContext context) =>
        await ServeAsync(request, context).WriteToAsync(responseStream, context.CancellationToken);

    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context) =>
        Task.FromResult(new ListModelsResponse { Models = { catalog.List() } });

    private IAsyncEnumerable<GenerateChunk> ServeAsync(GenerateRequest request, ServerCallContext context) =>
        TokenUsageFeature.CountedFor(context.GetHttpContext(),
            pipeline.ServeAsync(pipeline.Prepare(GrpcRequestMapper.ToServingRequest(request)), context.CancellationToken, AfterResponse(context)));

    /// <summary>
    /// Runs the request's bookkeeping once its response (its status included) is on the wire: the caller need not wait
    /// for the metrics.
    /// </summary>
    private static Action<Action> AfterResponse(ServerCallContext context) =>
        work => context.GetHttpContext().Response.OnCompleted(static state =>
        {
            ((Action)state).Invoke();
            return Task.CompletedTask;
        }, work);
}

using Grpc.Core;
using SlmCluster.Client;
using SlmCluster.Gateway.Security;
using SlmCluster.Gateway.Serving;
using SlmCluster.Gateway.Serving.Embeddings;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Api.Grpc;

/// <summary>The gateway's <c>slm.v1.Inference</c>: the wire request into the serving pipeline, its chunks back out.</summary>
public sealed class InferenceGrpcService(ServingPipeline pipeline, ModelCatalog catalog, EmbeddingPipeline embeddings) : Inference.InferenceBase
{
    public override async Task<GenerateResponse> Generate(GenerateRequest request, ServerCallContext context) =>
        await ServeAsync(request, context).CollectAsync(context.CancellationToken);

    public override async Task GenerateStream(GenerateRequest request, IServerStreamWriter<GenerateChunk> responseStream, ServerCallContext context) =>
        await ServeAsync(request, context).WriteToAsync(responseStream, context.CancellationToken);

    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context) =>
        Task.FromResult(new ListModelsResponse { Models = { catalog.List() } });

    public override async Task<EmbedResponse> Embed(EmbedRequest request, ServerCallContext context)
    {
        var response = await embeddings.EmbedAsync(embeddings.Prepare(GrpcEmbeddingMapper.ToServingRequest(request)), context.CancellationToken);
        // A tenant's token budget is charged with the embedded tokens, as with a generation's.
        context.GetHttpContext().Features.Get<TokenUsageFeature>()?.Count(new GenerateChunk { Usage = response.Usage });
        return response;
    }

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

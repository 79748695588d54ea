using Grpc.Core;
using SlmCluster.Gateway.Serving;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary><c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>: the models healthy workers serve now, and the cascade routes.</summary>
public sealed class OpenAiModelsHandler(ModelCatalog catalog, TimeProvider time)
{
    // Models carry no creation time; the gateway's start is as honest as any.
    private readonly long _created = time.GetUtcNow().ToUnixTimeSeconds();

    public async Task HandleListAsync(HttpContext context)
    {
        await context.Response.WriteAsJsonAsync(new OpenAiModelList { Data = Models() }, OpenAiJsonContext.Api.OpenAiModelList);
    }

    public async Task HandleGetAsync(HttpContext context)
    {
        var id = context.Request.RouteValues["id"] as string ?? "";
        if (Models().FirstOrDefault(m => m.Id == id) is { } model)
        {
            await context.Response.WriteAsJsonAsync(model, OpenAiJsonContext.Api.OpenAiModel);
            return;
        }

        await OpenAiProblem.From(new RpcException(new Status(StatusCode.NotFound, $"Model '{id}' is not served here."))).WriteAsync(context.Response);
    }

    private OpenAiModel[] Models() => catalog.List()
        .Select(m => new OpenAiModel
        {
            Id = m.Id,
            Created = _created,
            Parent = m.Parent.Length > 0 ? m.Parent : null,
            ContextLength = m.ContextLength,
            Replicas = m.Replicas,
            Capabilities = m.Embeddings ? m.EmbeddingsOnly ? ["embeddings"] : ["generation", "embeddings"] : ["generation"],
            EmbeddingDimensions = m.Embeddings ? m.EmbeddingDimensions : null,
        })
        .ToArray();
}

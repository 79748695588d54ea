using Grpc.Core;
using SlmCluster.Gateway.Security;
using SlmCluster.Gateway.Serving;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary><c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>: the models healthy workers serve now, and the cascade routes.</summary>
public sealed class OpenAiModelsHandler(ModelCatalog catalog, RequestAdmission admission, TimeProvider time)
{
    // Models carry no creation time; the gateway's start is as honest as any.
    private readonly long _created = time.GetUtcNow().ToUnixTimeSeconds();

    public async Task HandleListAsync(HttpContext context)
    {
        if (!await AuthenticateAsync(context))
        {
            return;
        }

        await context.Response.WriteAsJsonAsync(new OpenAiModelList { Data = Models() }, OpenAiJsonContext.Api.OpenAiModelList);
    }

    public async Task HandleGetAsync(HttpContext context)
    {
        if (!await AuthenticateAsync(context))
        {
            return;
        }

        var id = context.Request.RouteValues["id"] as string ?? "";
        if (Models().FirstOrDefault(m => m.Id == id) is { } model)
        {
            await context.Response.WriteAsJsonAsync(model, OpenAiJsonContext.Api.OpenAiModel);
            return;
        }

        await OpenAiProblem.From(new RpcException(new Status(StatusCode.NotFound, $"Model '{id}' is not served here."))).WriteAsync(context.Response);
    }

    private async Task<bool> AuthenticateAsync(HttpContext context)
    {
        try
        {
            admission.Authenticate(context.Request.Headers.Authorization);
            return true;
        }
        catch (RpcException e)
        {
            await OpenAiProblem.From(e).WriteAsync(context.Response);
            return false;
        }
    }

    private OpenAiModel[] Models() => catalog.List()
        .Select(m => new OpenAiModel { Id = m.Id, Created = _created, ContextLength = m.ContextLength, Replicas = m.Replicas })
        .ToArray();
}

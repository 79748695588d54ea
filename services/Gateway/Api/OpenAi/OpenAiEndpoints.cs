using Grpc.Core;
using SlmCluster.Gateway.Security;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>Maps the OpenAI-compatible HTTP API.</summary>
public static class OpenAiEndpoints
{
    public static IEndpointRouteBuilder MapOpenAiApi(this IEndpointRouteBuilder endpoints)
    {
        var completions = endpoints.ServiceProvider.GetRequiredService<OpenAiCompletionHandler>();
        var models = endpoints.ServiceProvider.GetRequiredService<OpenAiModelsHandler>();
        var embeddings = endpoints.ServiceProvider.GetRequiredService<OpenAiEmbeddingsHandler>();

        endpoints.MapPost("/v1/chat/completions", (RequestDelegate)completions.HandleChatAsync).RequireTenantLimits();
        endpoints.MapPost("/v1/completions", (RequestDelegate)completions.HandleCompletionAsync).RequireTenantLimits();
        endpoints.MapPost("/v1/embeddings", (RequestDelegate)embeddings.HandleAsync).RequireTenantLimits();
        endpoints.MapGet("/v1/models", (RequestDelegate)models.HandleListAsync).RequireAuthorization(ApiKeyAuthenticationHandler.TenantPolicy);
        endpoints.MapGet("/v1/models/{id}", (RequestDelegate)models.HandleGetAsync).RequireAuthorization(ApiKeyAuthenticationHandler.TenantPolicy);

        // Anything else under /v1 (a wrong path or method) answers as OpenAI does, not with an empty 404/405.
        endpoints.Map("/v1/{**rest}", (RequestDelegate)(context => new OpenAiProblem(StatusCodes.Status404NotFound, new OpenAiError
        {
            Message = $"No endpoint {context.Request.Method} {context.Request.Path}. This API serves POST /v1/chat/completions, POST /v1/completions, POST /v1/embeddings and GET /v1/models.",
            Type = "invalid_request_error",
            Code = "unknown_url",
        }).WriteAsync(context.Response)));

        return endpoints;
    }
}

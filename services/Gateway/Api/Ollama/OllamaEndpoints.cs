using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SlmCluster.Gateway.Security;

namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>
/// Maps the Ollama API on the gateway's HTTP port, beside the OpenAI API: the same keys, limits and serving pipeline.
/// A new route is one handler method and one line here.
/// </summary>
public static class OllamaEndpoints
{
    private const string DeclaredInAppHost =
        "Models are declared in the cluster's AppHost (a model resource per model) and loaded by its workers; this API does not {0} them. GET /api/tags lists the models served now.";

    public static IServiceCollection AddOllamaApi(this IServiceCollection services)
    {
        services.AddSingleton<OllamaGenerationHandler>();
        services.AddSingleton<OllamaModelsHandler>();
        services.AddSingleton<OllamaEmbeddingsHandler>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, OllamaRootEndpointPolicy>());
        return services;
    }

    public static IEndpointRouteBuilder MapOllamaApi(this IEndpointRouteBuilder endpoints)
    {
        var generation = endpoints.ServiceProvider.GetRequiredService<OllamaGenerationHandler>();
        var models = endpoints.ServiceProvider.GetRequiredService<OllamaModelsHandler>();
        var embeddings = endpoints.ServiceProvider.GetRequiredService<OllamaEmbeddingsHandler>();

        // What clients probe before anything else, as Ollama answers it: no key needed, nothing about the models told.
        endpoints.MapMethods("/", [HttpMethods.Get, HttpMethods.Head], models.HandleRootAsync).WithMetadata(OllamaRootMetadata.Instance, OllamaApiMetadata.Instance);
        endpoints.MapGet("/api/version", models.HandleVersionAsync).WithMetadata(OllamaApiMetadata.Instance);

        endpoints.MapGet("/api/tags", models.HandleTagsAsync).RequireAuthorization(ApiKeyAuthenticationHandler.TenantPolicy).WithMetadata(OllamaApiMetadata.Instance);
        endpoints.MapGet("/api/ps", models.HandlePsAsync).RequireAuthorization(ApiKeyAuthenticationHandler.TenantPolicy).WithMetadata(OllamaApiMetadata.Instance);
        endpoints.MapPost("/api/show", models.HandleShowAsync).RequireAuthorization(ApiKeyAuthenticationHandler.TenantPolicy).WithMetadata(OllamaApiMetadata.Instance);
        endpoints.MapPost("/api/generate", generation.HandleGenerateAsync).RequireTenantLimits().WithMetadata(OllamaApiMetadata.Instance);
        endpoints.MapPost("/api/chat", generation.HandleChatAsync).RequireTenantLimits().WithMetadata(OllamaApiMetadata.Instance);
        endpoints.MapPost("/api/embed", embeddings.HandleEmbedAsync).RequireTenantLimits().WithMetadata(OllamaApiMetadata.Instance);
        endpoints.MapPost("/api/embeddings", embeddings.HandleEmbeddingsAsync).RequireTenantLimits().WithMetadata(OllamaApiMetadata.Instance);

        foreach (var (path, method, verb) in new[]
        {
            ("/api/pull", HttpMethods.Post, "pull"),
            ("/api/push", HttpMethods.Post, "push"),
            ("/api/create", HttpMethods.Post, "create"),
            ("/api/copy", HttpMethods.Post, "copy"),
            ("/api/delete", HttpMethods.Delete, "delete"),
            ("/api/blobs/{digest}", HttpMethods.Post, "upload blobs for"),
            ("/api/blobs/{digest}", HttpMethods.Head, "keep blobs for"),
        })
        {
            var message = string.Format(System.Globalization.CultureInfo.InvariantCulture, DeclaredInAppHost, verb);
            endpoints.MapMethods(path, [method], context => new OllamaProblem(StatusCodes.Status403Forbidden, message).WriteAsync(context.Response))
                .WithMetadata(OllamaApiMetadata.Instance);
        }

        // Anything else under /api (a wrong path or method) answers in Ollama's shape, not with an empty 404/405.
        endpoints.Map("/api/{**rest}", context => new OllamaProblem(StatusCodes.Status404NotFound,
                $"No endpoint {context.Request.Method} {context.Request.Path}. The Ollama API here serves GET /api/version, /api/tags and /api/ps, and POST /api/show, /api/generate, /api/chat, /api/embed and /api/embeddings.")
            .WriteAsync(context.Response)).WithMetadata(OllamaApiMetadata.Instance);

        return endpoints;
    }
}

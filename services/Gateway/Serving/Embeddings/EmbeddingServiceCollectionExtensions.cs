using SlmCluster.Gateway.Api.OpenAi;
using SlmCluster.Gateway.Caching;
using SlmCluster.Gateway.Observability;

namespace SlmCluster.Gateway.Serving.Embeddings;

public static class EmbeddingServiceCollectionExtensions
{
    /// <summary>The embedding pipeline, its cache and metrics, and the OpenAI door's handler.</summary>
    public static IServiceCollection AddEmbeddings(this IServiceCollection services)
    {
        services.AddSingleton<EmbeddingRequestRules>();
        services.AddSingleton<EmbeddingCache>();
        services.AddSingleton<EmbeddingMetrics>();
        services.AddHostedService<EmbeddingMetricSeriesAtStart>();
        services.AddSingleton<EmbeddingPipeline>();
        services.AddSingleton<OpenAiEmbeddingsHandler>();
        return services;
    }
}

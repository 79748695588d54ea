using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SlmCluster.Client.Chat;
using SlmCluster.Client.Embeddings;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Client.DependencyInjection;

/// <summary>Registers an SlmCluster gateway's clients in a .NET service, finding the gateway through service discovery.</summary>
public static class SlmClusterClientServiceCollectionExtensions
{
    /// <summary>The gateway's gRPC endpoint name, as the AppHost declares it.</summary>
    public const string GrpcEndpointName = "grpc";

    /// <summary>
    /// Adds the generated <see cref="Inference.InferenceClient"/> for the gateway <paramref name="gateway"/>: a service
    /// name resolved through service discovery (the AppHost hands <c>services__gateway__grpc__0</c> to what references
    /// the gateway), or an absolute address such as <c>http://127.0.0.1:5000</c>.
    /// </summary>
    /// <returns>The HTTP client builder, for handlers and resilience of the caller's choice.</returns>
    public static IHttpClientBuilder AddSlmClusterClient(this IServiceCollection services, string gateway = "gateway")
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(gateway);

        services.AddServiceDiscovery();
        return services
            .AddGrpcClient<Inference.InferenceClient>(o => o.Address = AddressOf(gateway))
            // A caller that cancels sees OperationCanceledException, as .NET code expects, rather than RpcException(Cancelled).
            .ConfigureChannel(channel => channel.ThrowOperationCanceledOnCancellation = true)
            .AddServiceDiscovery();
    }

    /// <summary>
    /// Adds an <see cref="IChatClient"/> that talks to the gateway <paramref name="gateway"/> over gRPC (see
    /// <see cref="AddSlmClusterClient"/>), with the options given; the returned builder adds middleware such as
    /// OpenTelemetry or logging.
    /// </summary>
    public static ChatClientBuilder AddSlmClusterChatClient(this IServiceCollection services, string gateway = "gateway",
        Action<SlmClusterChatClientOptions>? configure = null)
    {
        services.AddSlmClusterClient(gateway);
        var options = services.AddOptions<SlmClusterChatClientOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<SlmClusterChatClientOptions>>().Value);
        return services.AddChatClient(sp => new SlmClusterChatClient(
            sp.GetRequiredService<Inference.InferenceClient>(),
            sp.GetRequiredService<SlmClusterChatClientOptions>()));
    }

    /// <summary>
    /// Adds an <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/> (<c>string</c> to <c>Embedding&lt;float&gt;</c>) that
    /// talks to the gateway <paramref name="gateway"/> over gRPC (see <see cref="AddSlmClusterClient"/>), beside the chat
    /// client; the returned builder adds middleware such as caching or OpenTelemetry.
    /// </summary>
    public static EmbeddingGeneratorBuilder<string, Embedding<float>> AddSlmClusterEmbeddingGenerator(this IServiceCollection services,
        string gateway = "gateway", Action<SlmClusterEmbeddingGeneratorOptions>? configure = null)
    {
        services.AddSlmClusterClient(gateway);
        var options = services.AddOptions<SlmClusterEmbeddingGeneratorOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<SlmClusterEmbeddingGeneratorOptions>>().Value);
        return services.AddEmbeddingGenerator(sp => new SlmClusterEmbeddingGenerator(
            sp.GetRequiredService<Inference.InferenceClient>(),
            sp.GetRequiredService<SlmClusterEmbeddingGeneratorOptions>()));
    }

    /// <summary>
    /// An absolute address as it is; a bare name becomes the service-discovery form for the gateway's gRPC endpoint
    /// (<c>http://_grpc.gateway</c>).
    /// </summary>
    internal static Uri AddressOf(string gateway) =>
        Uri.TryCreate(gateway, UriKind.Absolute, out var address) && address.Scheme is "http" or "https"
            ? address
            : new Uri($"http://_{GrpcEndpointName}.{gateway}");
}

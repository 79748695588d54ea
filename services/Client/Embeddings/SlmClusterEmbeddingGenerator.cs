using Grpc.Core;
using Microsoft.Extensions.AI;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Client.Embeddings;

/// <summary>
/// An <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/> over the gateway's <c>Embed</c>: the values become one
/// request (the gateway's limit on inputs per request is in docs/api.md), and each comes back as a unit-length vector.
/// <see cref="EmbeddingGenerationOptions.Dimensions"/> asks for the first that many dimensions, renormalised.
/// </summary>
public sealed class SlmClusterEmbeddingGenerator(Inference.InferenceClient inference, SlmClusterEmbeddingGeneratorOptions? options = null)
    : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly SlmClusterEmbeddingGeneratorOptions _options = options ?? new SlmClusterEmbeddingGeneratorOptions();

    public EmbeddingGeneratorMetadata Metadata => new("slmcluster", providerUri: null, _options.DefaultModel);

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var request = new EmbedRequest
        {
            Model = options?.ModelId ?? _options.DefaultModel ?? "",
            Dimensions = options?.Dimensions ?? 0,
            Truncate = _options.Truncate,
        };
        foreach (var value in values)
        {
            request.Inputs.Add(new EmbedInput { Text = value });
        }

        var callOptions = new CallOptions(
            headers: _options.ApiKey is { Length: > 0 } key ? new Metadata { { "authorization", "Bearer " + key } } : null,
            deadline: _options.Timeout is { } timeout ? DateTime.UtcNow + timeout : null,
            cancellationToken: cancellationToken);
        var response = await inference.EmbedAsync(request, callOptions);
        var created = DateTimeOffset.UtcNow;
        var model = response.Served?.Model is { Length: > 0 } served ? served : request.Model;
        var embeddings = new GeneratedEmbeddings<Embedding<float>>(response.Embeddings.Select(e => new Embedding<float>(e.Values.ToArray())
        {
            CreatedAt = created,
            ModelId = model,
        }))
        {
            Usage = new UsageDetails { InputTokenCount = response.Usage?.PromptTokens, TotalTokenCount = response.Usage?.PromptTokens },
        };
        if (response.Served is { } by)
        {
            embeddings.AdditionalProperties = new AdditionalPropertiesDictionary
            {
                ["slm.worker_id"] = by.WorkerId,
                ["slm.cache_hit"] = by.CacheHit,
                ["slm.cost_usd"] = by.CostUsd,
                ["slm.reference_api_cost_usd"] = by.ReferenceApiCostUsd,
            };
        }

        return embeddings;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : serviceKey is null && serviceType == typeof(Inference.InferenceClient) ? inference
        : serviceKey is null && serviceType == typeof(EmbeddingGeneratorMetadata) ? Metadata
        : null;

    public void Dispose()
    {
        // The gRPC client belongs to whoever made it (the DI container's client factory).
    }
}

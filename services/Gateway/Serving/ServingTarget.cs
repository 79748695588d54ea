using SlmCluster.Gateway.Cascade;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Serving;

/// <summary>What a request's model id resolved to: a cascade route, or a model that workers serve (and its file).</summary>
public sealed record ServingTarget(CascadeRoute? Route, ModelInfo? Model)
{
    /// <summary>The LoRA adapter the model id named (its base is <see cref="Model"/>), or null.</summary>
    public string? Adapter { get; init; }

    /// <summary>The id the answer is named by: the adapter's, the route's name or the model's id.</summary>
    public string Id => Adapter ?? Route?.Name ?? Model!.Id;
}

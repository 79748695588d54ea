using SlmCluster.Gateway.Serving.Tools;

namespace SlmCluster.Gateway.Serving;

/// <summary>A request that passed the rules, its model resolved once: what <see cref="ServingPipeline.ServeAsync"/> serves.</summary>
/// <param name="Request">Its call names the resolved id (a model, or a cascade route).</param>
public sealed record PreparedRequest(ServingRequest Request, ServingTarget Target)
{
    /// <summary>Reads the answer's tool calls when the request offers tools; null otherwise.</summary>
    public ToolCallReader? ToolCalls { get; init; }
}

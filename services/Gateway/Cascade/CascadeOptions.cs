namespace SlmCluster.Gateway.Cascade;

/// <summary>
/// The "Gateway:Cascade" section: routes, each a name clients use as the model id (<c>auto</c>) that stands for tiers
/// tried in order, cheapest first. A tier's answer is judged by its own token logprobs; a tier that is not confident
/// enough hands the request to the next.
/// </summary>
public sealed class CascadeOptions
{
    public const string SectionName = "Gateway:Cascade";

    /// <summary>Routes by the name requests use in <c>model</c>.</summary>
    public Dictionary<string, CascadeRouteOptions> Routes { get; set; } = new(StringComparer.Ordinal);
}

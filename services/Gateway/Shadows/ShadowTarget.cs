using SlmCluster.Gateway.Cascade;

namespace SlmCluster.Gateway.Shadows;

/// <summary>A shadowed route or model as the gateway runs it: its rate, its cap and the shadows it has running, its reference.</summary>
public sealed class ShadowTarget
{
    private int _running;

    public ShadowTarget(string name, ShadowTargetOptions options)
    {
        Name = name;
        Rate = options.Rate;
        MaxConcurrent = options.MaxConcurrent;
        ReferenceModel = string.IsNullOrWhiteSpace(options.ReferenceModel) ? null : options.ReferenceModel;
        if (options.External is { } external)
        {
            // An external reference is asked as a one-tier route would ask its tier, with that tier's client and its
            // guarantees: a bounded exchange, failures named, the key never in a message.
            ExternalRoute = new CascadeRoute(HttpClientRouteOf(name), new CascadeRouteOptions
            {
                Tiers = [new CascadeTierOptions { Name = "reference", External = external }],
            });
        }

        Reference = ReferenceModel ?? options.External?.Model ?? "";
    }

    /// <summary>The route or model id requests name.</summary>
    public string Name { get; }

    public double Rate { get; }

    public int MaxConcurrent { get; }

    /// <summary>The cluster model answering as the reference; null for an external one.</summary>
    public string? ReferenceModel { get; }

    /// <summary>The one-tier route an external reference is asked through; null for a cluster model.</summary>
    public CascadeRoute? ExternalRoute { get; }

    /// <summary>The reference's model id, as metrics and the dashboard name it (never its endpoint's key).</summary>
    public string Reference { get; }

    public int Running => Volatile.Read(ref _running);

    /// <summary>Takes one of the target's places; false when its cap is reached.</summary>
    public bool TryEnter()
    {
        while (true)
        {
            var running = Volatile.Read(ref _running);
            if (running >= MaxConcurrent)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _running, running + 1, running) == running)
            {
                return true;
            }
        }
    }

    public void Leave() => Interlocked.Decrement(ref _running);

    /// <summary>The route name an external reference's HttpClient is registered under (<see cref="CascadeTier.HttpClientNameOf"/>).</summary>
    public static string HttpClientRouteOf(string target) => "shadow:" + target;
}

namespace SlmCluster.Gateway.Cascade;

/// <summary>A tier of a route as the gateway runs it: its place, its name, and what serves it.</summary>
public sealed class CascadeTier
{
    public CascadeTier(string route, int index, CascadeTierOptions options, bool isLast)
    {
        Number = index + 1;
        Name = NameOf(options, index);
        Model = string.IsNullOrWhiteSpace(options.Model) ? null : options.Model;
        Accept = options.Accept;
        SkipWhenPromptTokensOver = options.SkipWhenPromptTokensOver;
        External = options.External;
        IsLast = isLast;
        HttpClientName = External is null ? null : HttpClientNameOf(route, index);
    }

    /// <summary>1-based, as responses report it.</summary>
    public int Number { get; }

    public string Name { get; }

    /// <summary>The cluster model serving the tier; null for an external tier.</summary>
    public string? Model { get; }

    /// <summary>Null on the last tier (not judged).</summary>
    public CascadeAcceptOptions? Accept { get; }

    public int? SkipWhenPromptTokensOver { get; }

    public ExternalTierOptions? External { get; }

    public bool IsLast { get; }

    /// <summary>The named HttpClient of an external tier.</summary>
    public string? HttpClientName { get; }

    /// <summary>The model that answers for this tier: the cluster model id, or the external endpoint's.</summary>
    public string ServedModel => Model ?? External?.Model ?? "";

    /// <summary>The tier's name: as configured, else its model, else its place.</summary>
    public static string NameOf(CascadeTierOptions options, int index) =>
        !string.IsNullOrWhiteSpace(options.Name) ? options.Name
        : !string.IsNullOrWhiteSpace(options.Model) ? options.Model
        : !string.IsNullOrWhiteSpace(options.External?.Model) ? options.External.Model
        : $"tier-{index + 1}";

    /// <summary>The IHttpClientFactory name of a route's external tier (a client per tier: each has its own timeout).</summary>
    public static string HttpClientNameOf(string route, int index) => $"cascade:{route}:{index}";

    public override string ToString() => $"tier {Number} '{Name}'";
}

namespace SlmCluster.Gateway.Cascade;

/// <summary>An OpenAI-compatible chat completions endpoint serving a route's last tier, and its list price.</summary>
public sealed class ExternalTierOptions
{
    /// <summary>The API's base, e.g. <c>https://provider.example/v1</c>; requests go to <c>{BaseUrl}/chat/completions</c>.</summary>
    public string BaseUrl { get; set; } = "";

    /// <summary>The provider's model id, sent as <c>model</c>.</summary>
    public string Model { get; set; } = "";

    /// <summary>Sent as <c>Authorization: Bearer ...</c>; empty sends no header. Never logged or reported.</summary>
    public string ApiKey { get; set; } = "";

    public double InputUsdPerMillionTokens { get; set; }

    public double OutputUsdPerMillionTokens { get; set; }

    /// <summary>The whole exchange, from sending the request to the last byte of the answer.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>What <paramref name="promptTokens"/> in and <paramref name="completionTokens"/> out cost at this endpoint's prices.</summary>
    public double CostOf(long promptTokens, long completionTokens) =>
        (promptTokens * InputUsdPerMillionTokens + completionTokens * OutputUsdPerMillionTokens) / 1_000_000;
}

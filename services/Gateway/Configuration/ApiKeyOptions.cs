namespace SlmCluster.Gateway.Configuration;

/// <summary>One API key, stored as the SHA-256 of the key so that configuration never holds the secret itself.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>The tenant the key stands for: rate limits and usage are counted per tenant.</summary>
    public string Tenant { get; set; } = "";

    /// <summary>Lower- or upper-case hex SHA-256 of the key's UTF-8 bytes (<c>printf %s "$KEY" | sha256sum</c>).</summary>
    public string KeySha256 { get; set; } = "";
}

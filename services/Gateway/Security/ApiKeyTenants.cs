using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Configuration;

namespace SlmCluster.Gateway.Security;

/// <summary>
/// The configured API keys (<c>Gateway:ApiKeys</c>) and the tenant each stands for. Keys are configured as SHA-256
/// hashes and compared in constant time; with no key configured everyone is <see cref="AnonymousTenant"/>.
/// </summary>
public sealed class ApiKeyTenants(IOptions<GatewayOptions> options)
{
    /// <summary>The tenant of every request when no API key is configured.</summary>
    public const string AnonymousTenant = "anonymous";

    private readonly (string Tenant, byte[] Hash)[] _keys = [.. options.Value.ApiKeys.Select(k => (k.Tenant, Convert.FromHexString(k.KeySha256)))];

    /// <summary>False when no key is configured: the gateway then serves without authentication.</summary>
    public bool IsEnabled => _keys.Length > 0;

    /// <summary>The configuration value for <paramref name="key"/>: its SHA-256 as lower-case hex.</summary>
    public static string HashKey(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>The tenant whose key <paramref name="key"/> is; null for a key that is not configured.</summary>
    public string? Find(ReadOnlySpan<char> key)
    {
        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(key.ToString()), presented);

        // Every configured key is compared, matched or not, so timing says nothing about which one matched.
        string? tenant = null;
        foreach (var (name, hash) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, hash))
            {
                tenant ??= name;
            }
        }

        return tenant;
    }
}

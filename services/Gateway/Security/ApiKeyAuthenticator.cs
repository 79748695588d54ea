using Grpc.Core;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Hosting;

namespace SlmCluster.Gateway.Security;

/// <summary>
/// Maps an <c>Authorization: Bearer &lt;key&gt;</c> value (HTTP header or gRPC metadata) to its tenant.
/// Keys are configured as SHA-256 hashes and compared in constant time; with no key configured everyone is
/// <see cref="AnonymousTenant"/>.
/// </summary>
public sealed class ApiKeyAuthenticator
{
    /// <summary>The tenant of every request when no API key is configured.</summary>
    public const string AnonymousTenant = "anonymous";

    private const string BearerScheme = "Bearer";

    private readonly (string Tenant, byte[] Hash)[] _keys;

    public ApiKeyAuthenticator(IOptions<GatewayOptions> options)
    {
        _keys = options.Value.ApiKeys.Select(k => (k.Tenant, Convert.FromHexString(k.KeySha256))).ToArray();
    }

    /// <summary>False when no key is configured: the gateway then serves without auth.</summary>
    public bool IsEnabled => _keys.Length > 0;

    /// <summary>The configuration value for <paramref name="key"/>: its SHA-256 as lower-case hex.</summary>
    public static string HashKey(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>The tenant whose key <paramref name="authorization"/> carries.</summary>
    /// <exception cref="RpcException">UNAUTHENTICATED: keys are configured and this value holds none of them.</exception>
    public string Authenticate(string? authorization)
    {
        if (!IsEnabled)
        {
            return AnonymousTenant;
        }

        if (string.IsNullOrWhiteSpace(authorization))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                "No API key was sent. Send it as 'Authorization: Bearer <key>' (HTTP) or 'authorization' metadata (gRPC)."));
        }

        var value = authorization.AsSpan().Trim();
        if (!value.StartsWith(BearerScheme, StringComparison.OrdinalIgnoreCase)
            || value.Length == BearerScheme.Length
            || value[BearerScheme.Length] != ' ')
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "The authorization value is not of the form 'Bearer <key>'."));
        }

        var key = value[(BearerScheme.Length + 1)..].Trim();
        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        var bytes = Encoding.UTF8.GetBytes(key.ToString());
        SHA256.HashData(bytes, presented);

        // Every configured key is compared, matched or not, so timing says nothing about which one matched.
        string? tenant = null;
        foreach (var (name, hash) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, hash))
            {
                tenant ??= name;
            }
        }

        return tenant ?? throw new RpcException(new Status(StatusCode.Unauthenticated, "The API key is not valid."));
    }
}

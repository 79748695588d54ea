using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using SlmCluster.Testing;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>
/// A worker behind a gateway that requires API keys, with per-tenant rate limits: alpha may start 3 requests a
/// minute, beta and delta may use 60 tokens a minute, gamma is unlimited.
/// </summary>
public sealed class SecuredClusterFixture : IAsyncLifetime
{
    public const string AlphaKey = "sk-alpha-0123456789";
    public const string BetaKey = "sk-beta-0123456789";
    public const string GammaKey = "sk-gamma-0123456789";
    public const string DeltaKey = "sk-delta-0123456789";

    internal LocalRedisServer Redis { get; private set; } = null!;

    internal ServiceProcess Worker { get; private set; } = null!;

    internal ServiceProcess Gateway { get; private set; } = null!;

    /// <summary>The configuration value for a key: the hex SHA-256 of its UTF-8 bytes, as <c>sha256sum</c> prints it.</summary>
    public static string Sha256Hex(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static CallOptions WithKey(string? key) => new(
        headers: key is null ? null : new Metadata { { "authorization", "Bearer " + key } },
        deadline: DateTime.UtcNow.AddSeconds(30));

    public async Task InitializeAsync()
    {
        Redis = await LocalRedisServer.StartAsync();
        Worker = ServiceProcess.StartWorker("worker-secured", Redis, TestPaths.Model(ClusterFixture.ModelFile));
        await Worker.WaitHealthyAsync();
        Gateway = ServiceProcess.StartGateway(Redis, ServiceProcess.WithoutResponseCache,
            "--Gateway:ApiKeys:0:Tenant=alpha", $"--Gateway:ApiKeys:0:KeySha256={Sha256Hex(AlphaKey)}",
            "--Gateway:ApiKeys:1:Tenant=beta", $"--Gateway:ApiKeys:1:KeySha256={Sha256Hex(BetaKey)}",
            // Upper-case hex is what some tools print; it names the same hash.
            "--Gateway:ApiKeys:2:Tenant=gamma", $"--Gateway:ApiKeys:2:KeySha256={Sha256Hex(GammaKey).ToUpperInvariant()}",
            "--Gateway:ApiKeys:3:Tenant=delta", $"--Gateway:ApiKeys:3:KeySha256={Sha256Hex(DeltaKey)}",
            "--Gateway:RateLimits:Tenants:alpha:RequestsPerMinute=3",
            "--Gateway:RateLimits:Tenants:beta:TokensPerMinute=60",
            "--Gateway:RateLimits:Tenants:delta:TokensPerMinute=60");
        await Gateway.WaitHealthyAsync();
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Worker.DisposeAsync();
        await Redis.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class SecuredClusterCollection : ICollectionFixture<SecuredClusterFixture>
{
    public const string Name = "secured cluster";
}

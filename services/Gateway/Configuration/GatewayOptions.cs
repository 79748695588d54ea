using System.ComponentModel.DataAnnotations;
using SlmCluster.Settings;

namespace SlmCluster.Gateway.Configuration;

/// <summary>The "Gateway" configuration section.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    [Range(0, 65535)]
    public int GrpcPort { get; set; } = ClusterSettings.Ports.GatewayGrpc;

    [Range(0, 65535)]
    public int HttpPort { get; set; } = ClusterSettings.Ports.GatewayHttp;

    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>Model used when a request names none; defaults to the first model a worker reports.</summary>
    public string? DefaultModel { get; set; }

    [Range(1, 1 << 20)]
    public int MaxTokensLimit { get; set; } = 4096;

    [Range(1, 1 << 24)]
    public int MaxPromptCharacters { get; set; } = 32_768;

    [Range(1, 10_000)]
    public int MaxMessages { get; set; } = 256;

    [Range(0, 64)]
    public int MaxStopStrings { get; set; } = 8;

    [Range(1, 1024)]
    public int MaxStopStringLength { get; set; } = 64;

    /// <summary>
    /// How often each worker's status (model, load, draining) is read between cluster changes; joins and deaths
    /// reach routing as Orleans reports them, not at this pace.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan WorkerStatusInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Attempts on different workers for a call that failed before its first token.</summary>
    [Range(1, 10)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>API keys and their tenants. Empty: the gateway serves everyone without auth (and says so at start).</summary>
    public List<ApiKeyOptions> ApiKeys { get; set; } = [];

    /// <summary>Per-tenant limits on requests and tokens.</summary>
    public RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>Largest HTTP request body (the OpenAI API); larger ones are refused with 413. gRPC has its own message limit.</summary>
    [Range(1024, 256L * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>How long an OpenAI API request may run before it fails with 504 (HTTP has no grpc-timeout).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan HttpRequestTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public RoutingOptions Routing { get; set; } = new();
}

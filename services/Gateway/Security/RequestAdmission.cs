using Grpc.Core;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Security;

/// <summary>
/// The front door both APIs pass: who is calling (API key to tenant), may they start a generation now
/// (rate limits), and what it cost them afterwards (token budget).
/// </summary>
public sealed partial class RequestAdmission(ApiKeyAuthenticator authenticator, TenantRateLimiter limiter, ILogger<RequestAdmission> logger)
{
    /// <summary>The tenant whose key <paramref name="authorization"/> (<c>Bearer &lt;key&gt;</c>) carries.</summary>
    /// <exception cref="RpcException">UNAUTHENTICATED.</exception>
    public string Authenticate(string? authorization) => authenticator.Authenticate(authorization);

    /// <summary>Lets a generation of <paramref name="tenant"/> start now, or refuses it.</summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED with a <c>retry-after</c> trailer.</exception>
    public void AdmitGeneration(string tenant)
    {
        try
        {
            limiter.Admit(tenant);
        }
        catch (RpcException e)
        {
            LogRateLimited(logger, tenant, e.Status.Detail);
            throw;
        }
    }

    /// <summary>Charges what a generation used: its usage when it finished, else the chunks it streamed.</summary>
    public void Charge(string tenant, Usage? usage, int chunksSent) =>
        limiter.Charge(tenant, usage is null ? chunksSent : usage.PromptTokens + usage.CompletionTokens);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused a request of tenant {Tenant}: {Detail}")]
    private static partial void LogRateLimited(ILogger logger, string tenant, string detail);
}

using SlmCluster.Grpc;
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
            LogRateLimited(logger, tenant, e.Detail);
            throw;
        }
    }

    /// <summary>Charges what a generation used: its usage when it finished, else the chunks it streamed.</summary>
    public void Charge(string tenant, Usage? usage, int chunksSent) =>
        limiter.Charge(tenant, usage is null ? chunksSent : usage.PromptTokens + usage.CompletionTokens);

    /// <summary>Wraps a unary gRPC generation handler: admitted before it runs, charged after.</summary>
    public Func<GenerateRequest, ServerCallContext, Task<GenerateResponse>> Guard(
        Func<GenerateRequest, ServerCallContext, Task<GenerateResponse>> handler) =>
        async (request, context) =>
        {
            var tenant = Authenticate(context.RequestHeaders.Get("authorization"));
            AdmitGeneration(tenant);
            GenerateResponse? response = null;
            try
            {
                response = await handler(request, context);
                return response;
            }
            finally
            {
                Charge(tenant, response?.Usage, chunksSent: 0);
            }
        };

    /// <summary>Wraps a server-streaming gRPC generation handler: admitted before it runs, charged with what it streamed.</summary>
    public Func<GenerateRequest, IServerStreamWriter<GenerateChunk>, ServerCallContext, Task> Guard(
        Func<GenerateRequest, IServerStreamWriter<GenerateChunk>, ServerCallContext, Task> handler) =>
        async (request, writer, context) =>
        {
            var tenant = Authenticate(context.RequestHeaders.Get("authorization"));
            AdmitGeneration(tenant);
            var metered = new MeteredChunkWriter(writer);
            try
            {
                await handler(request, metered, context);
            }
            finally
            {
                Charge(tenant, metered.Usage, metered.Chunks);
            }
        };

    /// <summary>Wraps a read-only gRPC handler (list models): authenticated, not rate limited.</summary>
    public Func<TRequest, ServerCallContext, Task<TResponse>> GuardRead<TRequest, TResponse>(
        Func<TRequest, ServerCallContext, Task<TResponse>> handler) =>
        (request, context) =>
        {
            Authenticate(context.RequestHeaders.Get("authorization"));
            return handler(request, context);
        };

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused a request of tenant {Tenant}: {Detail}")]
    private static partial void LogRateLimited(ILogger logger, string tenant, string detail);
}

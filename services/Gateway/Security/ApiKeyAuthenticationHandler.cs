using System.Security.Claims;
using System.Text.Encodings.Web;
using Grpc.Core;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace SlmCluster.Gateway.Security;

/// <summary>
/// The gateway's authentication scheme, for both front doors: an <c>Authorization: Bearer &lt;key&gt;</c> header
/// (gRPC carries it as <c>authorization</c> metadata, the same HTTP/2 header) names the caller's tenant, which the
/// ticket carries as the <see cref="TenantClaim"/> claim. A caller without a configured key is challenged in the shape
/// of the front door it came through: gRPC UNAUTHENTICATED, or HTTP 401 with an OpenAI error.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyTenants keys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    /// <summary>The authorization policy every inference endpoint requires: a caller with a tenant.</summary>
    public const string TenantPolicy = "Tenant";

    /// <summary>The claim that names the caller's tenant: rate limits and usage are counted per tenant.</summary>
    public const string TenantClaim = "tenant";

    private const string BearerPrefix = "Bearer";

    internal const string NoKeyMessage =
        "No API key was sent. Send it as 'Authorization: Bearer <key>' (HTTP) or 'authorization' metadata (gRPC).";

    /// <summary>The tenant <paramref name="user"/> was authenticated as, or <see cref="ApiKeyTenants.AnonymousTenant"/>.</summary>
    public static string TenantOf(ClaimsPrincipal user) => user.FindFirst(TenantClaim)?.Value ?? ApiKeyTenants.AnonymousTenant;

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!keys.IsEnabled)
        {
            return Task.FromResult(Authenticated(ApiKeyTenants.AnonymousTenant));
        }

        string? authorization = Request.Headers.Authorization;
        if (string.IsNullOrWhiteSpace(authorization))
        {
            // No credentials is not a failure of this scheme: health checks, metrics and the dashboard are called so.
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var value = authorization.AsSpan().Trim();
        if (!value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase)
            || value.Length == BearerPrefix.Length
            || value[BearerPrefix.Length] != ' ')
        {
            return Task.FromResult(AuthenticateResult.Fail("The authorization value is not of the form 'Bearer <key>'."));
        }

        return Task.FromResult(keys.Find(value[(BearerPrefix.Length + 1)..].Trim()) is { } tenant
            ? Authenticated(tenant)
            : AuthenticateResult.Fail("The API key is not valid."));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        await FrontDoorRefusal.WriteAsync(Context, StatusCode.Unauthenticated, result.Failure?.Message ?? NoKeyMessage, retryAfter: null);
    }

    private AuthenticateResult Authenticated(string tenant)
    {
        var identity = new ClaimsIdentity([new Claim(TenantClaim, tenant)], SchemeName, TenantClaim, roleType: null);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}

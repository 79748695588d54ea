using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using SlmCluster.Gateway.Configuration;
using SlmCluster.Gateway.Security;

namespace SlmCluster.UnitTests.Gateway.Security;

public sealed class ApiKeyAuthenticationTests
{
    // sha256("abc"), as every reference lists it: the configuration holds this, never the key.
    private const string AbcSha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    private static IServiceProvider With(params (string Tenant, string Hash)[] keys) => GatewaySecurityHost.Build(new GatewayOptions
    {
        ApiKeys = keys.Select(k => new ApiKeyOptions { Tenant = k.Tenant, KeySha256 = k.Hash }).ToList(),
    });

    [Fact]
    public void A_keys_configuration_value_is_the_hex_SHA256_of_its_UTF8_bytes()
    {
        Assert.Equal(AbcSha256, ApiKeyTenants.HashKey("abc"));
    }

    [Theory]
    [InlineData("Bearer abc")]
    [InlineData("bearer abc")]
    [InlineData("  Bearer   abc  ")]
    public async Task A_bearer_key_authenticates_as_its_tenant(string authorization)
    {
        var services = With(("other", ApiKeyTenants.HashKey("xyz")), ("acme", AbcSha256));

        var result = await GatewaySecurityHost.Request(services, authorization).AuthenticateAsync();

        Assert.True(result.Succeeded);
        Assert.Equal("acme", result.Principal.FindFirst(ApiKeyAuthenticationHandler.TenantClaim)?.Value);
    }

    [Fact]
    public async Task Upper_case_hex_in_configuration_names_the_same_key()
    {
        var result = await GatewaySecurityHost.Request(With(("acme", AbcSha256.ToUpperInvariant())), "Bearer abc").AuthenticateAsync();

        Assert.Equal("acme", result.Principal?.FindFirst(ApiKeyAuthenticationHandler.TenantClaim)?.Value);
    }

    [Theory]
    [InlineData(null, "No API key")]
    [InlineData("", "No API key")]
    [InlineData("Bearer abd", "not valid")]
    [InlineData("Bearer ", "Bearer <key>")]
    [InlineData("Bearer", "Bearer <key>")]
    [InlineData("Basic YWJj", "Bearer <key>")]
    [InlineData("abc", "Bearer <key>")]
    [InlineData("Bearerabc", "Bearer <key>")]
    public async Task Over_HTTP_anything_but_a_configured_bearer_key_is_401_with_an_OpenAI_error_that_says_what_is_wrong(string? authorization, string expected)
    {
        var context = GatewaySecurityHost.Request(With(("acme", AbcSha256)), authorization);

        Assert.False((await context.AuthenticateAsync()).Succeeded);
        await context.ChallengeAsync();

        Assert.Equal(StatusCodes.Status401Unauthorized, context.Response.StatusCode);
        Assert.Equal("Bearer", context.Response.Headers.WWWAuthenticate);
        var error = GatewaySecurityHost.ErrorOf(context);
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Contains(expected, error.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData(null, "No API key was sent.")]
    [InlineData("Bearer abd", "The API key is not valid.")]
    public async Task Over_gRPC_a_call_without_a_configured_key_is_UNAUTHENTICATED_as_a_trailers_only_response(string? authorization, string expected)
    {
        var context = GatewaySecurityHost.Request(With(("acme", AbcSha256)), authorization, grpc: true);

        await context.ChallengeAsync();

        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        Assert.Equal("application/grpc", context.Response.ContentType);
        Assert.Equal("16", context.Response.Headers["grpc-status"]);
        Assert.StartsWith(expected, Uri.UnescapeDataString(context.Response.Headers["grpc-message"].ToString()));
        Assert.Equal(0, context.Response.Body.Length);
    }

    [Fact]
    public async Task Without_configured_keys_everyone_is_the_anonymous_tenant()
    {
        var services = With();

        var none = await GatewaySecurityHost.Request(services).AuthenticateAsync();
        var any = await GatewaySecurityHost.Request(services, "Bearer anything").AuthenticateAsync();

        Assert.Equal(ApiKeyTenants.AnonymousTenant, none.Principal?.FindFirst(ApiKeyAuthenticationHandler.TenantClaim)?.Value);
        Assert.Equal(ApiKeyTenants.AnonymousTenant, any.Principal?.FindFirst(ApiKeyAuthenticationHandler.TenantClaim)?.Value);
    }
}

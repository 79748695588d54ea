using Grpc.Core;
using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Hosting;
using SlmCluster.Gateway.Security;

namespace SlmCluster.UnitTests.Gateway;

public sealed class ApiKeyAuthenticatorTests
{
    // sha256("abc"), as every reference lists it: the configuration holds this, never the key.
    private const string AbcSha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    private static ApiKeyAuthenticator With(params (string Tenant, string Hash)[] keys) => new(Options.Create(new GatewayOptions
    {
        ApiKeys = keys.Select(k => new ApiKeyOptions { Tenant = k.Tenant, KeySha256 = k.Hash }).ToList(),
    }));

    [Fact]
    public void A_keys_configuration_value_is_the_hex_SHA256_of_its_UTF8_bytes()
    {
        Assert.Equal(AbcSha256, ApiKeyAuthenticator.HashKey("abc"));
    }

    [Theory]
    [InlineData("Bearer abc")]
    [InlineData("bearer abc")]
    [InlineData("  Bearer   abc  ")]
    public void A_bearer_key_maps_to_its_tenant(string authorization)
    {
        var authenticator = With(("other", ApiKeyAuthenticator.HashKey("xyz")), ("acme", AbcSha256));

        Assert.Equal("acme", authenticator.Authenticate(authorization));
    }

    [Fact]
    public void Upper_case_hex_in_configuration_names_the_same_key()
    {
        Assert.Equal("acme", With(("acme", AbcSha256.ToUpperInvariant())).Authenticate("Bearer abc"));
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
    public void Anything_but_a_configured_bearer_key_is_unauthenticated(string? authorization, string expected)
    {
        var e = Assert.Throws<RpcException>(() => With(("acme", AbcSha256)).Authenticate(authorization));

        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Contains(expected, e.Status.Detail);
    }

    [Fact]
    public void Without_configured_keys_everyone_is_the_anonymous_tenant()
    {
        var authenticator = With();

        Assert.False(authenticator.IsEnabled);
        Assert.Equal(ApiKeyAuthenticator.AnonymousTenant, authenticator.Authenticate(null));
        Assert.Equal(ApiKeyAuthenticator.AnonymousTenant, authenticator.Authenticate("Bearer anything"));
    }
}

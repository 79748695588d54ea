using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SlmCluster.Gateway.Configuration;
using SlmCluster.Gateway.Security;
using SlmCluster.Protocol.V1;

namespace SlmCluster.UnitTests.Gateway.Security;

public sealed class TokenBudgetMiddlewareTests : IDisposable
{
    private readonly ServiceProvider _services = GatewaySecurityHost.Build(
        new GatewayOptions { RateLimits = new RateLimitOptions { TokensPerMinute = 60 } }, new ManualTimeProvider());

    private TenantRateLimitPolicy Policy => _services.GetRequiredService<TenantRateLimitPolicy>();

    public void Dispose() => _services.Dispose();

    /// <summary>Runs one request of tenant "a" whose endpoint streams <paramref name="chunks"/> as the serving path does.</summary>
    private async Task RunAsync(IEnumerable<GenerateChunk> chunks, Exception? endsWith = null)
    {
        var middleware = new TokenBudgetMiddleware(context =>
        {
            var usage = context.Features.Get<TokenUsageFeature>();
            Assert.NotNull(usage);
            foreach (var chunk in chunks)
            {
                usage.Count(chunk);
            }

            return endsWith is null ? Task.CompletedTask : Task.FromException(endsWith);
        }, Policy);

        await middleware.InvokeAsync(GatewaySecurityHost.Request(_services, tenant: "a"));
    }

    private bool BudgetAdmits() => Policy.TokenBudgetOf("a")!.AttemptAcquire() is { IsAcquired: true };

    [Fact]
    public async Task A_generation_is_charged_its_prompt_and_completion_tokens_once_its_endpoint_has_finished()
    {
        await RunAsync([new GenerateChunk { Text = "Once" }, new GenerateChunk { Usage = new Usage { PromptTokens = 5, CompletionTokens = 54 } }]);
        Assert.True(BudgetAdmits());

        await RunAsync([new GenerateChunk { Usage = new Usage { PromptTokens = 1, CompletionTokens = 1 } }]);

        Assert.False(BudgetAdmits());
        Assert.True(Policy.TokenBudgetOf("a")!.AttemptAcquire().TryGetMetadata(MetadataName.RetryAfter, out var wait));
        Assert.InRange(wait, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task A_stream_cut_off_before_its_usage_is_charged_the_chunks_it_sent()
    {
        await Assert.ThrowsAsync<OperationCanceledException>(() =>
            RunAsync(Enumerable.Range(0, 70).Select(_ => new GenerateChunk { Text = "x" }), new OperationCanceledException()));

        Assert.False(BudgetAdmits());
    }

    [Fact]
    public async Task An_endpoint_without_tenant_limits_is_not_metered()
    {
        TokenUsageFeature? seen = null;
        var middleware = new TokenBudgetMiddleware(context =>
        {
            seen = context.Features.Get<TokenUsageFeature>();
            return Task.CompletedTask;
        }, Policy);
        var request = GatewaySecurityHost.Request(_services, tenant: "a");
        request.SetEndpoint(new Endpoint(null, EndpointMetadataCollection.Empty, "GET /v1/models"));

        await middleware.InvokeAsync(request);

        Assert.Null(seen);
    }
}

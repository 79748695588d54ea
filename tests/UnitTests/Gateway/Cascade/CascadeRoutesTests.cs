using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Cascade;
using SlmCluster.Gateway.Routing;
using SlmCluster.Protocol.V1;
using SlmCluster.UnitTests.Inference;

namespace SlmCluster.UnitTests.Gateway.Cascade;

/// <summary>Routes among the models: found by name, listed as models, and a name clash with a served model reported once.</summary>
public sealed class CascadeRoutesTests
{
    private readonly WorkerPool _pool = new();
    private readonly CapturingLoggerProvider _logs = new();
    private readonly CascadeRoutes _routes;

    public CascadeRoutesTests()
    {
        var options = new CascadeOptions
        {
            Routes =
            {
                ["auto"] = new CascadeRouteOptions { Tiers = [new() { Name = "small", Model = "stories", Accept = new() }, new() { Name = "large", Model = "tinystories" }] },
            },
        };
        using var factory = LoggerFactory.Create(logging => logging.AddProvider(_logs));
        _routes = new CascadeRoutes(Options.Create(options), _pool, factory.CreateLogger<CascadeRoutes>());
    }

    private void Serve(string key, params ModelInfo[] models) =>
        _pool.Add(new RoutedWorker(key, grain: null!) { IsHealthy = true, Models = models });

    [Fact]
    public void A_route_is_found_by_its_exact_name_and_a_model_is_not_a_route()
    {
        Assert.Equal("auto", _routes.Find("auto")?.Name);
        Assert.Null(_routes.Find("Auto"));
        Assert.Null(_routes.Find("stories"));
        Assert.Null(_routes.Find(""));
    }

    [Fact]
    public void A_route_is_listed_as_a_model_with_its_first_tiers_replicas_and_context()
    {
        Serve("w1", new ModelInfo { Id = "stories", ContextLength = 512 });
        Serve("w2", new ModelInfo { Id = "stories", ContextLength = 512 });

        var model = Assert.Single(_routes.AsModels(_pool.Models()));

        Assert.Equal(("auto", "cascade: small -> large", "cascade", 512, 2), (model.Id, model.Name, model.Architecture, model.ContextLength, model.Replicas));
    }

    [Fact]
    public void A_route_named_like_a_served_model_is_reported_once_when_it_is_first_seen()
    {
        Assert.NotNull(_routes.Find("auto"));
        Assert.Empty(_logs.Entries);

        Serve("w1", new ModelInfo { Id = "auto" });
        _routes.Find("auto");
        _routes.Find("auto");

        var warning = Assert.Single(_logs.Entries);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("Cascade route 'auto' has the name of a model a worker serves", warning.Message);
    }
}

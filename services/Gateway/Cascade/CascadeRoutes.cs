using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Routing;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Cascade;

/// <summary>
/// The configured routes by name, and how they appear among the models (<c>ListModels</c>, <c>/v1/models</c>). A
/// route whose name a worker's model also has wins over that model; that is logged once, when it is first seen.
/// </summary>
public sealed partial class CascadeRoutes(IOptions<CascadeOptions> options, WorkerPool pool, ILogger<CascadeRoutes> logger)
{
    private readonly Dictionary<string, CascadeRoute> _routes =
        options.Value.Routes.ToDictionary(r => r.Key, r => new CascadeRoute(r.Key, r.Value), StringComparer.Ordinal);

    private readonly ConcurrentDictionary<string, bool> _collisionsReported = new(StringComparer.Ordinal);

    public IReadOnlyList<CascadeRoute> All => field ??= [.. _routes.Values.OrderBy(r => r.Name, StringComparer.Ordinal)];

    /// <summary>The route a request for <paramref name="model"/> runs, or null when it names a model (or nothing).</summary>
    public CascadeRoute? Find(string model)
    {
        if (_routes.Count == 0 || model.Length == 0 || !_routes.TryGetValue(model, out var route))
        {
            return null;
        }

        ReportCollision(route);
        return route;
    }

    /// <summary>
    /// The routes as models: the route's name as the id, described by its tiers; replicas, context length and chat
    /// template are its first tier's (the one every request starts at).
    /// </summary>
    public IEnumerable<ModelInfo> AsModels(IReadOnlyList<(ModelInfo Model, int Replicas)> served)
    {
        foreach (var route in All)
        {
            ReportCollision(route);
            var first = route.Tiers[0];
            var tierModel = first.Model is null ? default : served.FirstOrDefault(m => m.Model.Id == first.Model);
            yield return new ModelInfo
            {
                Id = route.Name,
                Name = "cascade: " + string.Join(" -> ", route.Tiers.Select(t => t.Name)),
                Architecture = "cascade",
                ContextLength = tierModel.Model?.ContextLength ?? 0,
                HasChatTemplate = tierModel.Model?.HasChatTemplate ?? false,
                Replicas = tierModel.Replicas,
            };
        }
    }

    private void ReportCollision(CascadeRoute route)
    {
        if (pool.ServedModel(route.Name) is not null && _collisionsReported.TryAdd(route.Name, true))
        {
            LogCollision(logger, route.Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Cascade route '{Route}' has the name of a model a worker serves; requests for '{Route}' run the route, and that model is reachable only as a tier. Rename the route or the model (Worker:ModelId)")]
    private static partial void LogCollision(ILogger logger, string route);
}

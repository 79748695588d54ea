using System.Text;
using Grpc.Core;
using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Cascade;
using SlmCluster.Gateway.Configuration;
using SlmCluster.Gateway.Routing;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Serving;

/// <summary>The model ids this gateway answers to: the models healthy workers serve now, and the cascade routes.</summary>
public sealed class ModelCatalog(WorkerPool pool, CascadeRoutes cascades, WorkerCaller workers, IOptions<GatewayOptions> options)
{
    /// <summary>What a request for <paramref name="requested"/> gets (the default model when empty).</summary>
    /// <exception cref="RpcException">NOT_FOUND for an id nothing here serves; UNAVAILABLE when none can serve it now.</exception>
    public ServingTarget Resolve(string requested)
    {
        if (cascades.Find(requested.Length > 0 ? requested : options.Value.DefaultModel ?? "") is { } route)
        {
            return new ServingTarget(route, null);
        }

        // The common case, a model that a routable worker serves, without grouping every worker's models.
        if (requested.Length > 0 && pool.ServedModel(requested) is { } named)
        {
            return new ServingTarget(null, named);
        }

        // An adapter's name is a model id of its own, as vLLM serves them: its base runs it.
        if (requested.Length > 0 && pool.AdapterBase(requested) is { } parent)
        {
            return new ServingTarget(null, parent) { Adapter = requested };
        }

        var served = pool.Models();
        if (requested.Length == 0)
        {
            requested = options.Value.DefaultModel ?? (served.Count > 0 ? served[0].Model.Id : "");
            if (requested.Length == 0)
            {
                throw workers.NoWorker("any model");
            }
        }

        if (served.FirstOrDefault(m => m.Model.Id == requested).Model is { } model)
        {
            return new ServingTarget(null, model);
        }

        // A model that only unhealthy workers serve is unavailable, not unknown.
        if (pool.Workers.Any(w => w.Serves(requested)) || pool.Workers.All(w => w.Models.Count == 0))
        {
            throw workers.NoWorker($"model '{requested}'");
        }

        var known = pool.Workers.SelectMany(w => w.Models).SelectMany(m => m.Adapters.Select(a => a.Name).Prepend(m.Id))
            .Concat(cascades.All.Select(r => r.Name)).Distinct().Order(StringComparer.Ordinal);
        throw new RpcException(new Status(StatusCode.NotFound, $"Model '{requested}' is not served here. Available models: {string.Join(", ", known)}."));
    }

    /// <summary>Every id a request may name now, each with its replicas: served models, then routes (a route wins over a model of its name).</summary>
    public IReadOnlyList<ModelInfo> List()
    {
        var served = pool.Models();
        var models = new List<ModelInfo>();
        foreach (var (model, replicas) in served)
        {
            if (cascades.Find(model.Id) is not null)
            {
                continue;
            }

            var info = model.Clone();
            info.Replicas = replicas;
            models.Add(info);
            foreach (var adapter in model.Adapters)
            {
                // Listed as a model of its own whose parent is the base, as vLLM lists its adapters.
                models.Add(new ModelInfo
                {
                    Id = adapter.Name,
                    Name = adapter.Name,
                    Parent = model.Id,
                    Architecture = model.Architecture,
                    ContextLength = model.ContextLength,
                    HasChatTemplate = model.HasChatTemplate,
                    ToolCallFormat = model.ToolCallFormat,
                    FileSha256 = adapter.FileSha256,
                    SizeBytes = adapter.SizeBytes,
                    Replicas = pool.Workers.Count(w => w.IsRoutable && w.Serves(model.Id, adapter.Name)),
                });
            }
        }

        models.AddRange(cascades.AsModels(served));
        return models;
    }

    /// <summary>
    /// The tool call format (a <see cref="Contracts.ToolCallFormats"/> name) a request for <paramref name="target"/>
    /// is rendered in: a model's own (from its chat template); for a route, the one its served cluster tiers share, so
    /// that every tier is asked alike and one reader reads whichever answers; the generic JSON format otherwise.
    /// </summary>
    public string ToolCallFormat(ServingTarget target)
    {
        if (target.Route is not { } route)
        {
            return target.Model?.ToolCallFormat is { Length: > 0 } own ? own : Contracts.ToolCallFormats.Json;
        }

        var formats = route.Tiers.Where(t => t.Model is not null).Select(t => TierModel(t.Model!)?.Base.ToolCallFormat)
            .Where(f => f is { Length: > 0 }).Distinct().ToList();
        return formats is [{ } shared] ? shared : Contracts.ToolCallFormats.Json;
    }

    /// <summary>
    /// A cascade tier's request as its worker is asked it: a tier whose model is an adapter's name runs on that
    /// adapter's base with the adapter chosen at scale 1, as a request naming the adapter directly does.
    /// </summary>
    public ServingRequest OnBase(ServingRequest tierRequest) =>
        TierModel(tierRequest.Model) is ({ } parent, { } adapter)
            ? tierRequest with { Call = tierRequest.Call with { Model = parent.Id, Adapters = [new Contracts.AdapterSelection(adapter.Name, 1f)] } }
            : tierRequest;

    /// <summary>
    /// What a tier's model id names: a model served now (no adapter), else an adapter with the base serving it; null
    /// when neither is served. The one rule for a tier's requests, cache identity and tool-call format.
    /// </summary>
    private (ModelInfo Base, AdapterInfo? Adapter)? TierModel(string id)
    {
        if (pool.ServedModel(id) is { } model)
        {
            return (model, null);
        }

        return pool.AdapterBase(id) is { } parent ? (parent, parent.Adapters.First(a => a.Name == id)) : null;
    }

    /// <summary>
    /// What a route's answers depend on besides the request, for its cache key: the route's configuration fingerprint
    /// and its cluster tiers' model files, in order; null while one of those models is not served (its file unknown).
    /// </summary>
    public string? RouteIdentity(CascadeRoute route)
    {
        var identity = new StringBuilder("cascade:").Append(route.Fingerprint);
        foreach (var tier in route.Tiers)
        {
            if (tier.Model is null)
            {
                continue;
            }

            switch (TierModel(tier.Model))
            {
                case ({ FileSha256.Length: > 0 } model, null):
                    identity.Append(':').Append(model.FileSha256);
                    break;
                case ({ FileSha256.Length: > 0 } parent, { FileSha256.Length: > 0 } adapter):
                    // A tier under an adapter answers by the base's file and the adapter's.
                    identity.Append(':').Append(parent.FileSha256).Append('+').Append(adapter.FileSha256);
                    break;
                default:
                    return null;
            }
        }

        return identity.ToString();
    }
}

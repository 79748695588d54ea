using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Hosting;
using SlmCluster.Protocol.V1;
using SlmCluster.Redis.Registry;

namespace SlmCluster.Gateway.Routing;

/// <summary>
/// The workers this gateway knows: the static endpoints from configuration, handed over the way
/// Aspire does (<c>services:worker:grpc:0</c>, <c>services:worker:grpc:1</c>, ...) or listed in
/// <c>Gateway:Workers</c>, plus the workers announced in the Redis registry.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    private readonly Lock _lock = new();
    private WorkerEndpoint[] _workers;
    private readonly List<WorkerEndpoint> _retired = [];

    public WorkerPool(IConfiguration configuration, IOptions<GatewayOptions> options)
    {
        var addresses = configuration.GetSection("services:worker:grpc").GetChildren()
            .Select(c => c.Value)
            .Concat(options.Value.Workers)
            .Where(a => !string.IsNullOrWhiteSpace(a))
            .Select(a => a!.Trim())
            .Distinct(StringComparer.OrdinalIgnoreCase);

        _workers = addresses.Select(a => new WorkerEndpoint(ParseAddress(a))).ToArray();
    }

    /// <summary>A snapshot: the set changes as workers join and leave the registry.</summary>
    public IReadOnlyList<WorkerEndpoint> Workers => Volatile.Read(ref _workers);

    /// <summary>Workers that can take a request for <paramref name="model"/> now.</summary>
    public IEnumerable<WorkerEndpoint> Serving(string model) => Workers.Where(w => w.IsRoutable && w.Serves(model));

    /// <summary>What the first routable worker serving <paramref name="model"/> reports of it; null when none does.</summary>
    public ModelInfo? ServedModel(string model) =>
        Workers.Where(w => w.IsRoutable).SelectMany(w => w.Models).FirstOrDefault(m => m.Id == model);

    /// <summary>Every model a routable worker serves, with the number of workers serving it.</summary>
    public IReadOnlyList<(ModelInfo Model, int Replicas)> Models() =>
        Workers.Where(w => w.IsRoutable)
            .SelectMany(w => w.Models)
            .GroupBy(m => m.Id)
            .Select(g => (g.First(), g.Count()))
            .OrderBy(m => m.Item1.Id, StringComparer.Ordinal)
            .ToArray();

    /// <summary>
    /// Brings the registry's workers in line with <paramref name="registrations"/>: new ones join at once
    /// (they announced themselves, so they serve), gone ones leave, draining ones take no new requests.
    /// Static endpoints stay; a static endpoint that also registers takes the registry's state.
    /// </summary>
    public (int Joined, int Left) Sync(IReadOnlyList<WorkerRegistration> registrations)
    {
        lock (_lock)
        {
            var current = _workers;
            var next = new List<WorkerEndpoint>(current.Length + registrations.Count);
            var joined = 0;
            foreach (var worker in current.Where(w => w.RegistryId is null))
            {
                next.Add(worker);
            }

            foreach (var registration in registrations)
            {
                if (!Uri.TryCreate(registration.Endpoint, UriKind.Absolute, out var address))
                {
                    continue;
                }

                var worker = current.FirstOrDefault(w => w.RegistryId == registration.Id && w.Address == address)
                    ?? next.FirstOrDefault(w => w.Address == address);
                if (worker is null)
                {
                    worker = new WorkerEndpoint(address) { RegistryId = registration.Id, IsHealthy = true };
                    joined++;
                }

                if (!next.Contains(worker))
                {
                    next.Add(worker);
                }

                worker.IsDraining = registration.State == WorkerStates.Draining;
                worker.Device = registration.Device;
                worker.Slots = registration.Slots;
                worker.AnnouncedLoad = registration.Load;
                if (worker.Models.Count == 0 || worker.Models[0].Id != registration.Model || worker.Models[0].FileSha256 != registration.ModelSha256)
                {
                    worker.Models = [new ModelInfo { Id = registration.Model, FileSha256 = registration.ModelSha256, Replicas = 1 }];
                }
            }

            var left = current.Where(w => !next.Contains(w)).ToArray();
            _retired.AddRange(left);
            Volatile.Write(ref _workers, next.ToArray());
            DisposeIdleRetired();
            return (joined, left.Length);
        }
    }

    public void Dispose()
    {
        foreach (var worker in Workers.Concat(_retired))
        {
            worker.Dispose();
        }
    }

    /// <summary>A worker that left may still carry calls; its channel is closed once they are done.</summary>
    private void DisposeIdleRetired()
    {
        foreach (var worker in _retired.Where(w => w.Outstanding == 0).ToArray())
        {
            worker.Dispose();
            _retired.Remove(worker);
        }
    }

    private static Uri ParseAddress(string address)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            throw new OptionsValidationException("services:worker:grpc", typeof(GatewayOptions),
                [$"Worker endpoint '{address}' is not an absolute http:// address such as http://127.0.0.1:5100."]);
        }

        return uri;
    }
}

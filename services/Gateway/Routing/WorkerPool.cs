using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Hosting;

namespace SlmCluster.Gateway.Routing;

/// <summary>
/// The workers this gateway knows: the static endpoints from configuration, handed over the way
/// Aspire does (<c>services:worker:grpc:0</c>, <c>services:worker:grpc:1</c>, ...) or listed in <c>Gateway:Workers</c>.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    public WorkerPool(IConfiguration configuration, IOptions<GatewayOptions> options)
    {
        var addresses = configuration.GetSection("services:worker:grpc").GetChildren()
            .Select(c => c.Value)
            .Concat(options.Value.Workers)
            .Where(a => !string.IsNullOrWhiteSpace(a))
            .Select(a => a!.Trim())
            .Distinct(StringComparer.OrdinalIgnoreCase);

        Workers = addresses.Select(a => new WorkerEndpoint(ParseAddress(a))).ToArray();
    }

    public IReadOnlyList<WorkerEndpoint> Workers { get; }

    /// <summary>Healthy workers serving <paramref name="model"/>.</summary>
    public IEnumerable<WorkerEndpoint> Serving(string model) => Workers.Where(w => w.IsHealthy && w.Serves(model));

    /// <summary>Every model a healthy worker serves, with the number of workers serving it.</summary>
    public IReadOnlyList<(Protocol.V1.ModelInfo Model, int Replicas)> Models() =>
        Workers.Where(w => w.IsHealthy)
            .SelectMany(w => w.Models)
            .GroupBy(m => m.Id)
            .Select(g => (g.First(), g.Count()))
            .OrderBy(m => m.Item1.Id, StringComparer.Ordinal)
            .ToArray();

    public void Dispose()
    {
        foreach (var worker in Workers)
        {
            worker.Dispose();
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

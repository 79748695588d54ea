using SlmCluster.Testing;
namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>
/// One worker silo (with its HTTP port for /metrics, and a price per hour) and a gateway silo that finds it through
/// membership in a real Redis, both exporting traces to a stand-in collector, and a real Prometheus scraping both every second.
/// </summary>
public sealed class ObservedClusterFixture : IAsyncLifetime
{
    public const string WorkerName = "worker-observed";
    public const string ModelId = ClusterFixture.ModelId;

    /// <summary>$3.60 an hour: a tenth of a cent per second of worker time.</summary>
    public const double PricePerHour = 3.6;

    internal LocalRedisServer Redis { get; private set; } = null!;

    internal TraceCollector Traces { get; private set; } = null!;

    internal ServiceProcess Worker { get; private set; } = null!;

    internal ServiceProcess Gateway { get; private set; } = null!;

    internal PrometheusServer Prometheus { get; private set; } = null!;

    public Uri GatewayHttp => Gateway.HttpAddress;

    public Uri WorkerHttp => Worker.HttpAddress;

    public async Task InitializeAsync()
    {
        Traces = await TraceCollector.StartAsync();
        Redis = await LocalRedisServer.StartAsync();
        Worker = ServiceProcess.StartWorker(WorkerName, Redis, TestPaths.Model(ClusterFixture.ModelFile), Traces.Environment,
            "--Worker:Slots=2", $"--Worker:Cost:PricePerHour={PricePerHour.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        await Worker.WaitHealthyAsync();
        Gateway = ServiceProcess.StartGateway(Redis, Traces.Environment);
        await Gateway.WaitHealthyAsync();
        Prometheus = await PrometheusServer.StartAsync([("slm-gateway", GatewayHttp), ("slm-workers", WorkerHttp)]);
    }

    public async Task DisposeAsync()
    {
        await Prometheus.DisposeAsync();
        await Gateway.DisposeAsync();
        await Worker.DisposeAsync();
        await Redis.DisposeAsync();
        await Traces.DisposeAsync();
    }
}

/// <summary>Runs alone, after the parallel collections: Chromium and Prometheus would take their timing-sensitive tests' CPU.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ObservedClusterCollection : ICollectionFixture<ObservedClusterFixture>
{
    public const string Name = "observed cluster";
}

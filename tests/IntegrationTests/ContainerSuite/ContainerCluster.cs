using System.Globalization;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Networks;
using Grpc.Net.Client;
using SlmCluster.IntegrationTests.Infrastructure;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests.ContainerSuite;

/// <summary>
/// The cluster as production runs it, in containers of the images deploy/docker/build-images.sh builds: Redis with a
/// password, CPU workers and gateways, each its own host with its own address on a private Docker network, the models
/// mounted read-only, root file systems read-only, every setting from the published manifests
/// (<see cref="PublishedWorkloads"/>). Only the gateways' gRPC and HTTP ports are published to this machine.
/// </summary>
internal sealed class ContainerCluster : IAsyncDisposable
{
    /// <summary>The silo's port inside each container (the manifests' Orleans__Endpoints__SiloPort).</summary>
    private const int GrpcPort = ClusterSettings.Ports.GatewayGrpc;
    private const int HttpPort = ClusterSettings.Ports.GatewayHttp;

    private readonly INetwork _network;
    private readonly List<ClusterHost> _hosts = [];
    private readonly Dictionary<ClusterHost, (int Grpc, int Http)> _published = [];
    private readonly List<GrpcChannel> _channels = [];

    private ContainerCluster(INetwork network, string subnetPrefix, string password)
    {
        _network = network;
        SubnetPrefix = subnetPrefix;
        RedisPassword = password;
    }

    /// <summary>The first three octets of the network's /24: hosts get fixed addresses in it.</summary>
    private string SubnetPrefix { get; }

    public string RedisPassword { get; }

    private string RedisVolume => $"{_network.Name}-redis-data";

    public ClusterHost Redis { get; private set; } = null!;

    public List<ClusterHost> Workers { get; } = [];

    public List<ClusterHost> Gateways { get; } = [];

    public static async Task<ContainerCluster> StartAsync(int workers = 2, int gateways = 1)
    {
        var workloads = await PublishedWorkloads.LoadAsync();
        var (network, prefix) = await CreateNetworkAsync();
        var cluster = new ContainerCluster(network, prefix, Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant());
        try
        {
            cluster.Redis = await cluster.StartHostAsync(workloads.Redis, "redis", 10, [ClusterSettings.RedisName],
                builder => builder
                    // Its data on a volume, as the manifests keep it (a claim per pod): a Redis started again finds it.
                    .WithVolumeMount(cluster.RedisVolume, "/data")
                    .WithEnvironment("REDISCLI_AUTH", cluster.RedisPassword)
                    .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged("Ready to accept connections")));
            // The workers and gateways start side by side, as a cluster's pods do.
            var starting = Enumerable.Range(0, workers).Select(i => cluster.StartWorkerAsync(workloads.Worker, i)).ToArray();
            var startingGateways = Enumerable.Range(0, gateways).Select(i => cluster.StartGatewayAsync(workloads.Gateway, i)).ToArray();
            cluster.Workers.AddRange(await Task.WhenAll(starting));
            cluster.Gateways.AddRange(await Task.WhenAll(startingGateways));

            foreach (var gateway in cluster.Gateways)
            {
                await cluster.WaitForRoutingAsync(gateway, workers, TimeSpan.FromSeconds(120));
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>A gRPC client of <paramref name="gateway"/>'s published port.</summary>
    public InferenceClient GrpcClient(ClusterHost gateway)
    {
        var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{Published(gateway).Grpc}");
        lock (_channels)
        {
            _channels.Add(channel);
        }

        return new InferenceClient(channel);
    }

    /// <summary>The base address of <paramref name="gateway"/>'s OpenAI-compatible API on this machine.</summary>
    public Uri HttpAddress(ClusterHost gateway) => new($"http://127.0.0.1:{Published(gateway).Http}/");

    public int HttpHostPort(ClusterHost gateway) => Published(gateway).Http;

    private (int Grpc, int Http) Published(ClusterHost gateway)
    {
        lock (_published)
        {
            return _published[gateway];
        }
    }

    /// <summary>The worker ids <paramref name="gateway"/> routes to now (those it shows as serving).</summary>
    public async Task<IReadOnlyList<string>> RoutedWorkersAsync(ClusterHost gateway) =>
        [.. (await DashboardStats.ReadAsync(HttpHostPort(gateway))).Workers.Where(w => w.State == "serving").Select(w => w.Id).Order(StringComparer.Ordinal)];

    /// <summary>Waits until <paramref name="gateway"/> routes to <paramref name="count"/> workers; returns how long it took.</summary>
    public Task<TimeSpan> WaitForRoutingAsync(ClusterHost gateway, int count, TimeSpan timeout) =>
        DashboardStats.WaitAsync(HttpHostPort(gateway), s => s.Workers.Count(w => w.State == "serving") == count, timeout);

    /// <summary>Every host's output, for a failing test's report.</summary>
    public async Task<string> LogsAsync()
    {
        var text = new System.Text.StringBuilder();
        foreach (var host in _hosts)
        {
            text.Append("----- ").Append(host).Append('\n').Append(await host.LogsAsync()).Append('\n');
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        await _network.DisposeAsync();
        try
        {
            await DockerCli.RunAsync("volume", "rm", "--force", RedisVolume);
        }
        catch (InvalidOperationException)
        {
            // Never created: Redis did not start.
        }
    }

    private Task<ClusterHost> StartWorkerAsync(PublishedWorkloads.Workload worker, int index) =>
        StartHostAsync(worker, $"worker-{index}", 20 + index, [],
            builder => builder
                .WithBindMount(TestPaths.ModelsDirectory, "/models", AccessMode.ReadOnly)
                .WithPortBinding(HttpPort, assignRandomHostPort: true)
                .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(HttpPort).ForPath("/alive"))));

    private async Task<ClusterHost> StartGatewayAsync(PublishedWorkloads.Workload gateway, int index)
    {
        // Fixed host ports, so that a gateway started again is found where its callers left it.
        var (grpc, http) = (ServiceProcess.FreePort(), ServiceProcess.FreePort());
        var host = await StartHostAsync(gateway, $"gateway-{index}", 40 + index, [],
            builder => builder
                .WithPortBinding(grpc, GrpcPort)
                .WithPortBinding(http, HttpPort)
                .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(HttpPort).ForPath("/alive"))));
        lock (_published)
        {
            _published[host] = (grpc, http);
        }

        return host;
    }

    private async Task<ClusterHost> StartHostAsync(PublishedWorkloads.Workload workload, string name, int octet, IReadOnlyList<string> aliases,
        Func<ContainerBuilder, ContainerBuilder> configure)
    {
        var address = $"{SubnetPrefix}.{octet}";
        var builder = new ContainerBuilder(workload.Image)
            .WithName($"slm-{_network.Name[4..]}-{name}")
            .WithHostname(name)
            .WithNetwork(_network)
            .WithNetworkAliases([name, .. aliases])
            .WithEnvironment(workload.Environment(name, address, RedisPassword).ToDictionary())
            // The images write nothing but temporary files.
            .WithTmpfsMount("/tmp")
            .WithLabel("org.slmcluster.test-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            .WithCreateParameterModifier(parameters =>
            {
                parameters.HostConfig ??= new HostConfig();
                parameters.HostConfig.ReadonlyRootfs = true;
                // As a pod's containers are: a process that exits is started again (a silo that finds itself declared
                // dead stops itself); one the engine kills stays down.
                parameters.HostConfig.RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.UnlessStopped };
                var endpoints = (parameters.NetworkingConfig ??= new NetworkingConfig()).EndpointsConfig ??= new Dictionary<string, EndpointSettings>();
                var endpoint = endpoints.TryGetValue(_network.Name, out var settings) ? settings : endpoints[_network.Name] = new EndpointSettings();
                endpoint.IPAMConfig = new EndpointIPAMConfig { IPv4Address = address };
            });
        if (workload.Command is { } command)
        {
            builder = builder.WithEntrypoint(command[0]).WithCommand(command[1..]);
        }

        var container = configure(builder).Build();
        var host = new ClusterHost(container, name, _network.Name, address, [name, .. aliases], null);
        lock (_hosts)
        {
            _hosts.Add(host);
        }

        await container.StartAsync();
        return host;
    }

    /// <summary>A network of its own with a /24 nobody else on this engine uses, so that hosts keep fixed addresses.</summary>
    private static async Task<(INetwork Network, string Prefix)> CreateNetworkAsync()
    {
        for (var attempt = 0; ; attempt++)
        {
            var prefix = string.Create(CultureInfo.InvariantCulture, $"10.{Random.Shared.Next(160, 250)}.{Random.Shared.Next(0, 256)}");
            var network = new NetworkBuilder()
                .WithName($"slm-{Guid.NewGuid().ToString("N")[..10]}")
                .WithLabel("org.slmcluster.test-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
                .WithCreateParameterModifier(p => p.IPAM = new IPAM { Config = [new IPAMConfig { Subnet = $"{prefix}.0/24" }] })
                .Build();
            try
            {
                await network.CreateAsync();
                return (network, prefix);
            }
            catch (Exception) when (attempt < 5)
            {
                // That /24 overlaps a network that exists: try another.
                await network.DisposeAsync();
            }
        }
    }
}

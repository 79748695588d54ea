using System.Diagnostics;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Metadata;
using Orleans.Runtime;
using Orleans.TestingHost;
using SlmCluster.Gateway.Routing;
using SlmCluster.Settings;
using SlmCluster.SiloConfiguration;
using SlmCluster.Testing;
using SlmCluster.Worker.Configuration;
using SlmCluster.Worker.Grains;

namespace SlmCluster.GrainTests.Infrastructure;

/// <summary>
/// Silos in this process, wired the way the services wire them: worker silos through <see cref="WorkerApplicationBuilderExtensions.AddModelWorker"/>
/// (the real engine on stories260K, the model grain pinned to the silo), a gateway silo with the front door's
/// <see cref="WorkerDirectory"/>, <see cref="WorkerPool"/> and <see cref="LeastOutstandingRouter"/> and no model, membership and the
/// worker grain directory in a real Redis. Silos talk over the testing host's in-memory transport.
/// </summary>
public sealed class WorkerCluster : IAsyncDisposable
{
    /// <summary>Long enough for a silo on a busy 2-core machine; a healthy start or failure detection takes a second or two.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly InProcessTestCluster _cluster;
    private readonly LocalRedisServer _redis;
    private readonly bool _inClusterWorkerDirectory;
    // Which silo the testing host is starting: it calls the configure delegate inside the start call, on the same
    // asynchronous flow, so each start carries its own plan (even when starts overlap).
    private readonly AsyncLocal<SiloPlan?> _starting = new();
    private readonly Lock _lock = new();
    private readonly List<WorkerSilo> _workers = [];
    private InProcessSiloHandle? _gateway;
    private int _workerCount;

    private WorkerCluster(LocalRedisServer redis, bool inClusterWorkerDirectory)
    {
        _redis = redis;
        _inClusterWorkerDirectory = inClusterWorkerDirectory;
        var builder = new InProcessTestClusterBuilder(initialSilosCount: 0);
        builder.Options.InitializeClientOnDeploy = false;
        builder.Options.ConfigureFileLogging = false;
        UseConfiguredMembership(builder.Options);
        builder.ConfigureSiloHost(Configure);
        _cluster = builder.Build();
    }

    /// <summary>The worker silos that are up, in the order they started.</summary>
    public IReadOnlyList<WorkerSilo> Workers
    {
        get
        {
            lock (_lock)
            {
                return [.. _workers];
            }
        }
    }

    public InProcessSiloHandle Gateway => _gateway ?? throw new InvalidOperationException("This cluster has no gateway silo.");

    /// <summary>Every silo that is up.</summary>
    public IReadOnlyList<InProcessSiloHandle> Silos => [.. _cluster.Silos];

    /// <summary>
    /// Starts <paramref name="workers"/> worker silos (and a gateway silo) and waits until every silo sees every other as active.
    /// </summary>
    /// <param name="inClusterWorkerDirectory">
    /// Registers the worker grain in the cluster's own grain directory instead of the Redis one its
    /// <c>[GrainDirectory]</c> names: the grain as it would be without that attribute.
    /// </param>
    public static async Task<WorkerCluster> StartAsync(LocalRedisServer redis, int workers, bool gateway = false, bool inClusterWorkerDirectory = false)
    {
        var cluster = new WorkerCluster(redis, inClusterWorkerDirectory);
        try
        {
            // One after another: silos that join at the same moment contend for the membership table (measured: two
            // together took 6-10 s, one after the other about 1.5 s).
            for (var i = 0; i < workers; i++)
            {
                await cluster.StartWorkerCoreAsync();
            }

            if (gateway)
            {
                await cluster.StartGatewayCoreAsync();
            }

            await cluster.WaitForMembershipAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts one more worker silo; returns once every silo sees it active.</summary>
    public async Task<WorkerSilo> StartWorkerAsync()
    {
        var worker = await StartWorkerCoreAsync();
        await WaitForMembershipAsync();
        return worker;
    }

    /// <summary>
    /// Kills a silo the way a crash does (no graceful leave: the others must find out by probing it), then waits until
    /// every silo that is left has it as dead.
    /// </summary>
    public async Task KillAsync(InProcessSiloHandle silo)
    {
        var address = silo.SiloAddress;
        lock (_lock)
        {
            _workers.RemoveAll(w => w.Handle == silo);
        }

        await _cluster.KillSiloAsync(silo);
        await WaitUntilAsync(
            () => Silos.All(s => Membership(s).GetSiloStatus(address) == SiloStatus.Dead),
            $"every silo left has {address} as dead");
    }

    /// <summary>Grains called from <paramref name="silo"/>.</summary>
    public static IGrainFactory GrainsOn(InProcessSiloHandle silo) => silo.ServiceProvider.GetRequiredService<IGrainFactory>();

    /// <summary>The silo that holds an activation of <paramref name="grain"/>, if any silo does.</summary>
    public SiloAddress? FindActivation(GrainId grain) =>
        _cluster.TryGetGrainContext(grain, out var context) ? context.Address.SiloAddress : null;

    /// <summary>The activation of <paramref name="grain"/>, if any silo holds one.</summary>
    public IGrainContext? FindGrainContext(GrainId grain) => _cluster.TryGetGrainContext(grain, out var context) ? context : null;

    public static ClusterMembershipSnapshot Membership(InProcessSiloHandle silo) =>
        silo.ServiceProvider.GetRequiredService<IClusterMembershipService>().CurrentSnapshot;

    /// <summary>Polls <paramref name="condition"/> until it holds; fails after <see cref="Patience"/> saying what it waited for.</summary>
    public static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        WaitUntilAsync(() => Task.FromResult(condition()), what, timeout);

    /// <inheritdoc cref="WaitUntilAsync(Func{bool}, string, TimeSpan?)"/>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Patience;
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed > limit)
            {
                throw new TimeoutException($"Waited {limit.TotalSeconds:F0} s until {what}, in vain.");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Waits until every silo that is up sees exactly the silos that are up as active.</summary>
    public Task WaitForMembershipAsync() => WaitUntilAsync(() =>
    {
        var up = Silos.Select(s => s.SiloAddress).ToHashSet();
        return Silos.All(s => Membership(s).Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).ToHashSet().SetEquals(up));
    }, "every silo sees the same active silos");

    private async Task<WorkerSilo> StartWorkerCoreAsync()
    {
        var plan = new SiloPlan($"worker-{Interlocked.Increment(ref _workerCount)}", new SiloLog());
        _starting.Value = plan;
        var handle = await _cluster.StartAdditionalSiloAsync();
        var worker = new WorkerSilo(handle, plan.WorkerId!, plan.Log);
        lock (_lock)
        {
            _workers.Add(worker);
        }

        return worker;
    }

    private async Task StartGatewayCoreAsync()
    {
        _starting.Value = new SiloPlan(WorkerId: null, new SiloLog());
        _gateway = await _cluster.StartAdditionalSiloAsync();
    }

    private void Configure(InProcessTestSiloSpecificOptions silo, IHostApplicationBuilder host)
    {
        var plan = _starting.Value ?? throw new InvalidOperationException("Silos of a WorkerCluster start through its StartWorkerAsync.");
        var settings = new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{ClusterSettings.RedisName}"] = _redis.ConnectionString,
            ["Orleans:ClusterId"] = _cluster.Options.ClusterId,
            ["Orleans:ServiceId"] = _cluster.Options.ServiceId,
            ["Orleans:Dashboard:Enabled"] = "false",
        };
        host.Logging.AddProvider(plan.Log);
        host.Logging.SetMinimumLevel(LogLevel.Warning);
        host.Logging.AddFilter<SiloLog>("SlmCluster", LogLevel.Debug);

        if (plan.WorkerId is { } workerId)
        {
            settings["Worker:Id"] = workerId;
            settings["Worker:ModelPath"] = TestModels.Stories260K;
            // One thread: ggml threads spin at barriers, which crawls when the 2-core machine is busy.
            settings["Worker:Threads"] = "1";
            settings["Worker:Slots"] = "2";
            host.Configuration.AddInMemoryCollection(settings);
            host.AddModelWorker(siloBuilder =>
            {
                if (_inClusterWorkerDirectory)
                {
                    siloBuilder.Services.AddSingleton<IGrainPropertiesProvider, WithoutWorkerGrainDirectory>();
                }
            });
            return;
        }

        // The gateway: a silo of the cluster with the front door's routing and no model (its assembly has no worker
        // grain; in this process every silo has the worker assembly, so the grain class is taken out of its manifest).
        host.Configuration.AddInMemoryCollection(settings);
        host.AddSlmSilo($"gateway-{silo.SiloName}", siloBuilder =>
            siloBuilder.Configure<GrainTypeOptions>(o => o.Classes.Remove(typeof(ModelWorkerGrain))));
        host.Services.AddOptions<Gateway.Configuration.GatewayOptions>().Configure(o => o.WorkerStatusInterval = TimeSpan.FromMilliseconds(250));
        host.Services.AddSingleton<WorkerPool>();
        host.Services.AddSingleton<WorkerDirectory>();
        host.Services.AddHostedService(sp => sp.GetRequiredService<WorkerDirectory>());
        host.Services.AddSingleton<IWorkerRouter, LeastOutstandingRouter>();
    }

    /// <summary>
    /// Membership as the services configure it (Redis, through AddSlmSilo). The testing host otherwise puts membership
    /// and the default grain directory in in-process stand-ins, and the switch for that is not public.
    /// </summary>
    private static void UseConfiguredMembership(InProcessTestClusterOptions options)
    {
        const string name = "UseTestClusterMembership";
        var property = typeof(InProcessTestClusterOptions).GetProperty(name, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException($"{nameof(InProcessTestClusterOptions)}.{name} is gone from Microsoft.Orleans.TestingHost: find its replacement, the silos here must use Redis membership.");
        property.SetValue(options, false);
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_cluster.Silos.Select(s => _cluster.StopSiloAsync(s)));
        await _cluster.DisposeAsync();
    }

    private sealed record SiloPlan(string? WorkerId, SiloLog Log);

    /// <summary>Takes the worker grain's <c>[GrainDirectory]</c> out of its properties, so the cluster's own directory holds its entry.</summary>
    private sealed class WithoutWorkerGrainDirectory : IGrainPropertiesProvider
    {
        public void Populate(Type grainClass, GrainType grainType, Dictionary<string, string> properties)
        {
            if (grainClass == typeof(ModelWorkerGrain))
            {
                properties.Remove(WellKnownGrainTypeProperties.GrainDirectory);
            }
        }
    }
}

/// <summary>A worker silo of a <see cref="WorkerCluster"/>.</summary>
public sealed record WorkerSilo(InProcessSiloHandle Handle, string WorkerId, SiloLog Log)
{
    /// <summary>The key of its model grain: the silo's address.</summary>
    public string Key => Handle.SiloAddress.ToParsableString();

    public IServiceProvider Services => Handle.ServiceProvider;

    /// <summary>How many times this silo has activated a model worker grain.</summary>
    public int Activations => Services.GetRequiredService<WorkerGrainActivations>().Count;

    public override string ToString() => $"{WorkerId} ({Handle.SiloAddress})";
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SlmCluster.AppHost;
using SlmCluster.AppHost.Hosting;
using SlmCluster.AppHost.Hosting.Publishing;
using SlmCluster.Settings;

// dotnet run --project AppHost [-- --workers 3 --model hf://... ]   runs the cluster here, with Aspire's dashboard
// dotnet run --project AppHost -- publish --output deploy/k8s         writes it as Kubernetes manifests
// dotnet run --project AppHost -- --help                               every option, its default and what it does
var commandLine = new AppHostCommandLine();
var parsed = commandLine.Parse(args);
if (AppHostCommandLine.AsksForHelp(parsed))
{
    return parsed.Invoke();
}

var builder = DistributedApplication.CreateBuilder(commandLine.AspireArguments(args, parsed));
parsed = commandLine.ParseWithConfiguration(args, parsed, builder.Configuration);
ClusterOptions options;
try
{
    options = parsed.Errors.Count == 0
        ? ClusterOptions.From(commandLine, parsed, builder.ExecutionContext.IsPublishMode)
        : throw new ArgumentException(string.Join(Environment.NewLine + "error: ", parsed.Errors.Select(e => e.Message)));
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine("Every option: dotnet run --project AppHost -- --help");
    return 2;
}

if (builder.ExecutionContext.IsRunMode && ClusterSettings.Devices.IsGpu(options.Device) && GpuInventory.CheckCudaWorkers(options.Workers) is { } gpuProblem)
{
    Console.Error.WriteLine($"error: {gpuProblem}");
    return 2;
}

var publishing = builder.ExecutionContext.IsPublishMode;
var garnet = !publishing && options.Store == ClusterOptions.StoreGarnet;
if (!publishing && !garnet && !RedisServer.IsInstalled)
{
    Console.Error.WriteLine("error: --store redis-server, but redis-server is not installed. Install it (apt-get update && apt-get install redis-server), or leave --store at auto: Garnet runs inside the AppHost.");
    return 2;
}

// Redis holds the cluster's membership, the worker grains' directory and the response cache: redis-server, or on a
// machine without it Garnet inside the AppHost (docs/configuration.md#the-local-store says why and what differs).
IResourceBuilder<IResourceWithConnectionString> redis = garnet
    ? builder.AddGarnetStore(ClusterSettings.RedisName)
    : builder.AddRedisServer(ClusterSettings.RedisName).WithEnvironment(ClusterSettings.Keys.ParentProcessId, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
var cluster = builder.AddSlmCluster("cluster", redis);

// The gateway starts beside the workers, not after them: it is healthy (and serves) once a worker has joined, and
// takes each later one as Orleans reports it. Waiting for every worker first made a cold start slower.
var gateway = builder.AddProject<Projects.Gateway>("gateway")
    .WithHttpEndpoint(name: "grpc", port: options.GrpcPort, env: ClusterSettings.Keys.Gateway.GrpcPort, isProxied: false)
    .WithHttpEndpoint(name: "http", port: options.HttpPort, env: ClusterSettings.Keys.Gateway.HttpPort, isProxied: false)
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health", endpointName: "http")
    .AsSiloOf(cluster, publishing)
    .WaitFor(redis)
    .WithUrlForEndpoint("http", url => url.DisplayText = "Gateway (dashboard)")
    .WithUrl(OrleansDashboardUrl(options.HttpPort), "Orleans dashboard");
if (!options.Cache)
{
    gateway.WithEnvironment(ClusterSettings.Keys.Gateway.CacheEnabled, "false");
}
else if (garnet)
{
    // Garnet has no keyspace notifications: every cacheable request reads the store, and no tracking is attempted.
    gateway.WithEnvironment(ClusterSettings.Keys.Gateway.CacheTrackKeys, "false");
}

// One worker group per model: its silos each pin one instance of that model.
var groups = new List<IResourceBuilder<ProjectResource>>();
var modelIds = new List<string>();
for (var i = 0; i < options.Models.Count; i++)
{
    var suffix = i == 0 ? "" : $"-{i + 1}";
    var model = builder.AddModel($"model{suffix}", options.Models[i], options.Sha256Of(i), options.ModelsDirectory,
        options.ModelBaseUrl, ClusterOptions.RepoRoot);
    foreach (var adapter in options.AdaptersOf(i))
    {
        builder.AddAdapter(model, adapter.Name, adapter.Source, adapter.Sha256, options.ModelsDirectory, options.ModelBaseUrl, ClusterOptions.RepoRoot);
    }

    var workers = builder.AddProject<Projects.Worker>($"worker{suffix}")
        .WithReplicas(options.Workers)
        .WithHttpEndpoint(name: "http", env: ClusterSettings.Keys.Worker.HttpPort)
        .WithHttpHealthCheck("/health", endpointName: "http")
        .WithModel(model)
        .WithAdapters(model)
        .WithEngine(options.ThreadsPerWorker, options.Slots, options.Device)
        .WithServes(options.ServesFor(i))
        .AsSiloOf(cluster, publishing)
        .WaitFor(model)
        .WaitFor(redis);
    groups.Add(workers);
    modelIds.Add(Path.GetFileNameWithoutExtension(model.Resource.Reference.FileName));
    if (i == 0)
    {
        // A request that names no model gets the first one.
        gateway.WithEnvironment(ClusterSettings.Keys.Gateway.DefaultModel, modelIds[0]);
    }
}

// The cascade route: a model id (auto) that tries the models smallest first, then the flagship API, and escalates
// while a tier's own tokens say it is unsure. The flagship's key is a secret parameter (user secrets or
// Parameters__flagship-api-key), never on the command line.
var cascade = options.Cascade(modelIds);
if (cascade is not null)
{
    foreach (var (name, value) in cascade.Environment())
    {
        gateway.WithEnvironment(name, value);
    }

    if (cascade.ApiKeyVariable is { } apiKey && !publishing)
    {
        gateway.WithEnvironment(apiKey, builder.AddParameter("flagship-api-key", secret: true));
    }
}

// Every process of the cluster watches the AppHost and stops when it is gone, even after a SIGKILL that leaves
// no one to stop it (DCP does the same; this holds also when DCP itself is killed).
var appHostPid = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
foreach (var workers in groups)
{
    workers.WithEnvironment(ClusterSettings.Keys.ParentProcessId, appHostPid);
}

gateway.WithEnvironment(ClusterSettings.Keys.ParentProcessId, appHostPid);

// Aspire hands every project OTEL_TRACES_SAMPLER=always_on; the silos' own sampler caps new traces a second instead,
// and metrics go to the dashboard every 5 s rather than every second (a cost per second, not per request).
IEnumerable<IResourceBuilder<ProjectResource>> silosOfCluster = [gateway, .. groups];
foreach (var silo in silosOfCluster)
{
    silo.WithEnvironment(ClusterSettings.Keys.TracesPerSecond, options.TracesPerSecondSetting);
    if (!publishing)
    {
        silo.WithEnvironment("OTEL_METRIC_EXPORT_INTERVAL", "5000");
    }
}

if (!publishing)
{
    // Ctrl-C returns once every process of the cluster has exited: the silos first, while Redis and the dashboard
    // they leave through still run, then the rest, which Aspire's orchestrator is waited for to remove.
    builder.Configuration["DcpPublisher:WaitForResourceCleanup"] ??= "true";
    IReadOnlyList<IResource> silos = [gateway.Resource, .. groups.Select(g => g.Resource)];
    builder.Services.AddHostedService(sp => ActivatorUtilities.CreateInstance<SilosStopFirst>(sp, silos));
}

builder.AddKubernetesPublishing(new KubernetesPublishOptions(options.ImagePrefix, options.ImageTag, options.ModelBaseUrl, options.Threads, cascade)
{
    TracesPerSecond = options.TracesPerSecondSetting,
});

var app = builder.Build();
app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SlmCluster").LogInformation(
    "SlmCluster: {Cluster}. Try it: curl -s http://127.0.0.1:{HttpPort}/v1/completions -H 'content-type: application/json' -d '{{\"prompt\":\"Once upon a time\",\"max_tokens\":32}}'",
    options.Describe(), options.HttpPort);
await app.RunAsync();
// A failed publish step sets it (KubernetesPublishStep): the host itself stops cleanly either way.
return Environment.ExitCode;

static string OrleansDashboardUrl(int httpPort) => $"http://127.0.0.1:{httpPort}/orleans/";

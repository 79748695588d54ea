using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SlmCluster.AppHost;
using SlmCluster.Hosting;
using SlmCluster.Hosting.Publishing;

// dotnet run --project AppHost [-- --workers 3 --model hf://... ]   runs the cluster here, with Aspire's dashboard
// dotnet run --project AppHost -- publish --output deploy/k8s         writes it as Kubernetes manifests
var builder = DistributedApplication.CreateBuilder(AppHostArguments.Translate(args));
ClusterOptions options;
try
{
    options = ClusterOptions.From(builder.Configuration, builder.ExecutionContext.IsPublishMode);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

if (builder.ExecutionContext.IsRunMode && options.Device == "cuda" && GpuInventory.CheckCudaWorkers(options.Workers) is { } gpuProblem)
{
    Console.Error.WriteLine($"error: {gpuProblem}");
    return 2;
}

var cache = options.Redis ? builder.AddRedisServer("cache") : null;

var model = builder.AddModel("model", options.Model, options.ModelSha256, options.ModelsDirectory, options.ModelBaseUrl, AppHostArguments.RepoRoot);

var workers = builder.AddProject<Projects.Worker>("worker")
    .WithReplicas(options.Workers)
    .WithHttpEndpoint(name: "grpc", env: "Worker__GrpcPort")
    .WithHttpEndpoint(name: "http", env: "Worker__HttpPort")
    .WithModel(model)
    .WithEngine(options.ThreadsPerWorker, options.Slots, options.Device)
    .WaitFor(model);

var gateway = builder.AddProject<Projects.Gateway>("gateway")
    .WithHttpEndpoint(name: "grpc", port: options.GrpcPort, env: "Gateway__GrpcPort", isProxied: false)
    .WithHttpEndpoint(name: "http", port: options.HttpPort, env: "Gateway__HttpPort", isProxied: false)
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health", endpointName: "http")
    .WaitFor(workers);

if (cache is not null)
{
    // Workers announce themselves in Redis and the gateway routes to each of them directly.
    workers.WithReference(cache).WaitFor(cache);
    gateway.WithReference(cache).WaitFor(cache);
}
else
{
    // Without Redis the gateway knows the workers only by the endpoint Aspire hands over.
    gateway.WithReference(workers.GetEndpoint("grpc"));
}

// Every process of the cluster watches the AppHost and stops when it is gone, even after a SIGKILL that leaves
// no one to stop it (DCP does the same; this holds also when DCP itself is killed).
var appHostPid = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
workers.WithEnvironment("SLM_PARENT_PID", appHostPid);
gateway.WithEnvironment("SLM_PARENT_PID", appHostPid);
cache?.WithEnvironment("SLM_PARENT_PID", appHostPid);

builder.AddKubernetesPublishing(new KubernetesPublishOptions(options.ImagePrefix, options.ImageTag, options.ModelBaseUrl, options.Threads));

var app = builder.Build();
app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SlmCluster").LogInformation(
    "SlmCluster: {Cluster}. Try it: curl -s http://127.0.0.1:{HttpPort}/v1/completions -H 'content-type: application/json' -d '{{\"prompt\":\"Once upon a time\",\"max_tokens\":32}}'",
    options.Describe(), options.HttpPort);
await app.RunAsync();
return 0;

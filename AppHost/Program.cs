using SlmCluster.AppHost;
using SlmCluster.AppHost.Hosting;

// dotnet run --project AppHost               runs the cluster on this machine
// dotnet run --project AppHost -- publish    writes it as Kubernetes manifests (deploy/k8s)
if (!DistributedApplication.TryCreateBuilder(args, out var builder, out var error))
{
    Console.Error.WriteLine(error);
    return 2;
}

try
{
    SlmClusterApp.Describe(builder);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

return await builder.Build().RunAsync();

namespace SlmCluster.AppHost
{
    /// <summary>The cluster, described once: run here, or published for Kubernetes.</summary>
    internal static class SlmClusterApp
    {
        public static void Describe(DistributedApplicationBuilder builder)
        {
            var options = builder.Options;

            var cache = builder.AddRedis("cache");

            var model = builder.AddModel("stories", options.Model, options.ModelSha256);

            var workers = builder.AddProject<Projects.Worker>("worker")
                .WithReplicas(options.Workers)
                .WithModel(model)
                .WithDevice(options.Device ?? (options.Command == "publish" ? "cuda" : "cpu"))
                .WithEngine(options.Threads, options.Slots)
                .WithReference(cache);

            builder.AddProject<Projects.Gateway>("gateway")
                .WithExternalEndpoints(options.GrpcPort, options.HttpPort)
                .WithReference(workers)
                .WithReference(cache);
        }
    }
}

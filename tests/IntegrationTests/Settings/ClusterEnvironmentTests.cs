using Aspire.Hosting;
using SlmCluster.AppHost.Hosting;
using SlmCluster.IntegrationTests.Deploy;
using SlmCluster.IntegrationTests.Infrastructure;

namespace SlmCluster.IntegrationTests.Settings;

/// <summary>
/// What the AppHost's local run and the published manifests hand each service is what the service reads: no variable
/// that nothing reads (a renamed or mistyped setting is silently ignored otherwise), no value it refuses at start.
/// </summary>
public sealed class ClusterEnvironmentTests
{
    [Fact]
    public async Task Every_variable_a_local_run_hands_a_service_is_one_it_reads_and_accepts()
    {
        // The default run: two models, a worker group each, and the cascade route over them.
        var environments = await LocalRunEnvironment.OfEveryProjectAsync();

        Assert.Equal(new[] { "gateway", "worker", "worker-2" }, environments.Select(e => e.Resource));
        Assert.All(environments, e => AssertReadAndAccepted(e.Resource, e.Service, e.Environment));
    }

    [Fact]
    public async Task A_local_run_without_the_cache_hands_the_gateway_a_setting_it_reads_and_accepts()
    {
        var environments = await LocalRunEnvironment.OfEveryProjectAsync("--no-cache", "--model", "stories260K.gguf", "--workers", "1");

        var gateway = Assert.Single(environments, e => e.Service == ServiceKind.Gateway);
        Assert.Equal("false", gateway.Environment[ClusterSettings.Keys.Gateway.CacheEnabled]);
        Assert.All(environments, e => AssertReadAndAccepted(e.Resource, e.Service, e.Environment));
    }

    [Fact]
    public async Task A_local_GPU_worker_is_handed_a_device_and_offload_the_worker_reads_and_accepts()
    {
        // The AppHost refuses --device cuda on a machine without a GPU, so the worker is declared here as Program.cs
        // declares it, with the Hosting library's own extensions.
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            Args = [],
            DisableDashboard = true,
            AssemblyName = typeof(Projects.AppHost).Assembly.GetName().Name,
        });
        var cache = builder.AddRedisServer(ClusterSettings.RedisName);
        var cluster = builder.AddSlmCluster("cluster", cache);
        var model = builder.AddModel("model", "stories260K.gguf", null, TestPaths.ModelsDirectory, null, TestPaths.RepoRoot);
        builder.AddProject<Projects.Worker>("worker")
            .WithHttpEndpoint(name: "http", env: ClusterSettings.Keys.Worker.HttpPort)
            .WithModel(model)
            .WithEngine(threads: 2, slots: 4, ClusterSettings.Devices.Cuda)
            .AsSiloOf(cluster, publishing: false);
        await using var app = builder.Build();

        var worker = Assert.Single(await LocalRunEnvironment.OfEveryProjectAsync(app));

        Assert.Equal(ClusterSettings.Devices.Cuda, worker.Environment[ClusterSettings.Keys.Worker.Device]);
        Assert.Equal("-1", worker.Environment[ClusterSettings.Keys.Worker.GpuLayers]);
        AssertReadAndAccepted(worker.Resource, worker.Service, worker.Environment);
    }

    [Fact]
    public void Every_variable_the_committed_manifests_hand_a_silo_is_one_it_reads_and_accepts()
    {
        // GPU workers, as published by default: deploy/k8s is a fresh publish (KubernetesManifestTests).
        var manifests = ManifestSet.Load(Path.Combine(TestPaths.RepoRoot, "deploy", "k8s"));
        var environments = PublishedEnvironment.OfEverySilo(manifests);

        Assert.Equal(new[] { "gateway", "worker" }, environments.Select(e => e.Workload).Order(StringComparer.Ordinal));
        Assert.All(environments, e => AssertReadAndAccepted(e.Workload, e.Service, e.Environment));
        // What the images set is read and accepted on its own terms too, not only where the manifests override it.
        Assert.All(PublishedEnvironment.OfEverySiloImageFirst(manifests), e => AssertReadAndAccepted($"{e.Workload}'s image", e.Service, e.Environment));
    }

    [Fact]
    public async Task Every_variable_a_CPU_publish_with_a_flagship_tier_hands_a_silo_is_one_it_reads_and_accepts()
    {
        var output = Directory.CreateTempSubdirectory("slm-k8s-settings-");
        try
        {
            await KubernetesManifestTests.PublishAsync(output.FullName, "--device", ClusterSettings.Devices.Cpu, "--flagship-url", "https://provider.example/v1",
                "--flagship-model", "big-model", "--flagship-input-price", "2.5", "--flagship-output-price", "10");
            var manifests = ManifestSet.Load(output.FullName);
            var environments = PublishedEnvironment.OfEverySilo(manifests);

            Assert.All(PublishedEnvironment.OfEverySiloImageFirst(manifests), e => AssertReadAndAccepted($"{e.Workload}'s image", e.Service, e.Environment));
            Assert.Contains(environments, e => e.Environment.Keys.Any(k => k.StartsWith(ClusterSettings.Keys.Gateway.CascadeRoute("auto"), StringComparison.Ordinal)));
            Assert.All(environments, e => AssertReadAndAccepted(e.Workload, e.Service, e.Environment));
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_device_name_the_worker_does_not_take_is_found()
    {
        // The check itself: the name published manifests used to carry while a local run said "cuda".
        var worker = PublishedEnvironment.OfEverySilo(ManifestSet.Load(Path.Combine(TestPaths.RepoRoot, "deploy", "k8s")))
            .Single(e => e.Service == ServiceKind.Worker).Environment.ToDictionary();
        worker[ClusterSettings.Keys.Worker.Device] = "cuda:0";
        worker["Worker__Deivce"] = ClusterSettings.Devices.Cuda;

        var problems = ServiceEnvironment.Problems(ServiceKind.Worker, worker);

        Assert.Contains(problems, p => p.Contains("Worker:Device must be cpu or cuda", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Worker__Deivce", StringComparison.Ordinal) || p.Contains("Deivce", StringComparison.Ordinal));
    }

    private static void AssertReadAndAccepted(string name, ServiceKind service, IReadOnlyDictionary<string, string> environment)
    {
        var problems = ServiceEnvironment.Problems(service, environment);
        Assert.True(problems.Count == 0, $"{name} ({service}):\n  {string.Join("\n  ", problems)}");
    }
}

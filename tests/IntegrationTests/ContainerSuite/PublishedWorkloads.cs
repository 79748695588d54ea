using SlmCluster.AppHost.Hosting.Publishing;
using SlmCluster.IntegrationTests.Deploy;
using SlmCluster.IntegrationTests.Settings;
using static SlmCluster.IntegrationTests.Deploy.ManifestSet;

namespace SlmCluster.IntegrationTests.ContainerSuite;

/// <summary>
/// The containers' settings, read from manifests the AppHost's publish step writes for CPU workers (the same step and
/// writer that made deploy/k8s): each workload's image, command and environment, with the pod's own fields (its name
/// and IP) and the Redis password Secret filled in as Kubernetes would fill them. No setting is typed for the tests.
/// </summary>
internal sealed class PublishedWorkloads
{
    /// <summary>The publish the containers run: CPU workers of one thread each (this machine has two cores).</summary>
    private static readonly string[] PublishArguments = ["--device", ClusterSettings.Devices.Cpu, "--threads", "1", "--slots", "4"];

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static PublishedWorkloads? s_published;

    private readonly ManifestSet _manifests;

    private PublishedWorkloads(ManifestSet manifests) => _manifests = manifests;

    /// <summary>One publish per test run, into a folder removed again at once.</summary>
    public static async Task<PublishedWorkloads> LoadAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (s_published is null)
            {
                var output = Directory.CreateTempSubdirectory("slm-k8s-containers-");
                try
                {
                    await KubernetesManifestTests.PublishAsync(output.FullName, PublishArguments);
                    s_published = new PublishedWorkloads(ManifestSet.Load(output.FullName));
                }
                finally
                {
                    output.Delete(recursive: true);
                }
            }

            return s_published;
        }
        finally
        {
            Gate.Release();
        }
    }

    public Workload Redis => Read(ClusterSettings.RedisName, "StatefulSet");

    public Workload Worker => Read("worker", "StatefulSet");

    public Workload Gateway => Read("gateway", "Deployment");

    private Workload Read(string name, string kind)
    {
        var container = Assert.Single(Containers(_manifests.Single(kind, name)));
        var command = At(container, "command") is List<object> parts ? parts.Cast<string>().ToArray() : null;
        return new Workload(name, Str(container, "image")!, command, container);
    }

    /// <summary>One workload's container as the manifests declare it.</summary>
    internal sealed class Workload(string name, string image, string[]? command, Dictionary<object, object> container)
    {
        public string Name { get; } = name;

        /// <summary>The image the manifests name (deploy/docker/build-images.sh tags it).</summary>
        public string Image { get; } = image;

        /// <summary>The command the manifests give; null where the image's entry point runs.</summary>
        public string[]? Command { get; } = command;

        /// <summary>The container's environment in a pod named <paramref name="pod"/> with address <paramref name="ip"/>.</summary>
        public IReadOnlyDictionary<string, string> Environment(string pod, string ip, string redisPassword) =>
            PublishedEnvironment.Resolve(container,
                new Dictionary<string, string>
                {
                    ["metadata.name"] = pod,
                    ["metadata.namespace"] = KubernetesClusterSpec.DefaultNamespace,
                    ["status.podIP"] = ip,
                },
                secret => secret == (KubernetesManifestWriter.PasswordSecret, "password")
                    ? redisPassword
                    : throw new InvalidOperationException($"The containers know no Secret {secret.Secret}/{secret.Key}."));
    }
}

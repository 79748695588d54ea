using System.Text.RegularExpressions;
using SlmCluster.IntegrationTests.Deploy;
using static SlmCluster.IntegrationTests.Deploy.ManifestSet;

namespace SlmCluster.IntegrationTests.Settings;

/// <summary>
/// The environment of each silo container in a set of published manifests, as Kubernetes hands it over: its image's
/// <c>ENV</c>, then the container's variables, where a value from a pod field or a Secret becomes what the pod would
/// see, and <c>$(VAR)</c> takes the value of a variable before it.
/// </summary>
internal static partial class PublishedEnvironment
{
    /// <summary>What a pod's fields and Secrets stand for here.</summary>
    private static readonly IReadOnlyDictionary<string, string> PodFields = new Dictionary<string, string>
    {
        ["metadata.name"] = "pod-0",
        ["metadata.namespace"] = SlmCluster.AppHost.Hosting.Publishing.KubernetesClusterSpec.DefaultNamespace,
        ["status.podIP"] = "10.0.0.7",
    };

    private const string SecretValue = "from-a-secret";

    /// <summary>
    /// Each silo container's environment as its pod sees it: the image's <c>ENV</c> (<see cref="ImageEnvironment"/>)
    /// with the container's variables over it.
    /// </summary>
    public static IReadOnlyList<(string Workload, ServiceKind Service, IReadOnlyDictionary<string, string> Environment)> OfEverySilo(ManifestSet manifests) =>
        OfEverySilo(manifests, imageWins: false);

    /// <summary>The same with the image's <c>ENV</c> over the container's: what the image itself says must hold too.</summary>
    public static IReadOnlyList<(string Workload, ServiceKind Service, IReadOnlyDictionary<string, string> Environment)> OfEverySiloImageFirst(ManifestSet manifests) =>
        OfEverySilo(manifests, imageWins: true);

    private static IReadOnlyList<(string Workload, ServiceKind Service, IReadOnlyDictionary<string, string> Environment)> OfEverySilo(ManifestSet manifests, bool imageWins)
    {
        var environments = new List<(string, ServiceKind, IReadOnlyDictionary<string, string>)>();
        foreach (var workload in manifests.Workloads().Where(w => Str(w, "metadata.name") != ClusterSettings.RedisName))
        {
            var container = Containers(workload).Single();
            var image = Str(container, "image")!;
            var service = image.Contains("/gateway:", StringComparison.Ordinal) ? ServiceKind.Gateway
                : image.Contains("/worker", StringComparison.Ordinal) ? ServiceKind.Worker
                : throw new InvalidOperationException($"A published workload runs an image no test knows: {image}");
            IReadOnlyDictionary<string, string> own = Resolve(container), fromImage = ImageEnvironment.Of(image);
            var (under, over) = imageWins ? (own, fromImage) : (fromImage, own);
            var environment = new Dictionary<string, string>(under, StringComparer.Ordinal);
            foreach (var (key, value) in over)
            {
                environment[key] = value;
            }

            environments.Add((Str(workload, "metadata.name")!, service, environment));
        }

        return environments;
    }

    private static Dictionary<string, string> Resolve(Dictionary<object, object> container) => Resolve(container, PodFields, _ => SecretValue);

    /// <summary>
    /// A container's own variables as a pod named by <paramref name="podFields"/> would see them, each Secret's key
    /// read through <paramref name="secret"/> (by the Secret's name and key).
    /// </summary>
    public static Dictionary<string, string> Resolve(
        Dictionary<object, object> container, IReadOnlyDictionary<string, string> podFields, Func<(string Secret, string Key), string> secret)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in ListAt(container, "env").Cast<Dictionary<object, object>>())
        {
            var value = Str(variable, "value")
                ?? (Str(variable, "valueFrom.fieldRef.fieldPath") is { } field ? podFields[field] : null)
                ?? (At(variable, "valueFrom.secretKeyRef") is { } reference ? secret((Str(reference, "name")!, Str(reference, "key")!)) : null)
                ?? throw new InvalidOperationException($"{Str(variable, "name")} has neither a value nor a valueFrom this test knows");
            // Kubernetes expands $(NAME) from the variables defined before it.
            environment[Str(variable, "name")!] = Reference().Replace(value, m => environment.GetValueOrDefault(m.Groups[1].Value, m.Value));
        }

        return environment;
    }

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex Reference();
}

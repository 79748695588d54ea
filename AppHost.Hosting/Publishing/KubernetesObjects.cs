using System.Globalization;
using System.Reflection;
using k8s;
using k8s.Models;

namespace SlmCluster.AppHost.Hosting.Publishing;

/// <summary>Small builders over the Kubernetes API model types, for the shapes the manifests repeat.</summary>
internal static class KubernetesObjects
{
    /// <summary>An object of type <typeparamref name="T"/> with its apiVersion and kind filled in from the type, and its metadata.</summary>
    public static T New<T>(string name, string? @namespace, IDictionary<string, string> labels)
        where T : IKubernetesObject<V1ObjectMeta>, new()
    {
        var entity = typeof(T).GetCustomAttribute<KubernetesEntityAttribute>()
            ?? throw new InvalidOperationException($"{typeof(T).Name} is not a Kubernetes API type.");
        return new T
        {
            ApiVersion = entity.Group.Length == 0 ? entity.ApiVersion : $"{entity.Group}/{entity.ApiVersion}",
            Kind = entity.Kind,
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = @namespace, Labels = labels },
        };
    }

    public static V1EnvVar Env(string name, string value) => new() { Name = name, Value = value };

    public static V1EnvVar Env(string name, int value) => Env(name, value.ToString(CultureInfo.InvariantCulture));

    public static V1EnvVar EnvFromField(string name, string fieldPath) =>
        new() { Name = name, ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = fieldPath } } };

    public static V1EnvVar EnvFromSecret(string name, string secret, string key) =>
        new() { Name = name, ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = secret, Key = key } } };

    public static V1ContainerPort Port(string name, int port) => new() { Name = name, ContainerPort = port, Protocol = "TCP" };

    /// <summary>Kubernetes' native gRPC probe (grpc.health.v1.Health/Check).</summary>
    public static V1Probe GrpcProbe(int port, int periodSeconds, int failureThreshold, int timeoutSeconds = 2) =>
        new() { Grpc = new V1GRPCAction { Port = port }, PeriodSeconds = periodSeconds, TimeoutSeconds = timeoutSeconds, FailureThreshold = failureThreshold };

    /// <summary>An HTTP GET probe: healthy while <paramref name="path"/> answers 2xx or 3xx.</summary>
    public static V1Probe HttpProbe(string path, int port, int periodSeconds, int failureThreshold, int timeoutSeconds = 2) =>
        new() { HttpGet = new V1HTTPGetAction { Path = path, Port = port }, PeriodSeconds = periodSeconds, TimeoutSeconds = timeoutSeconds, FailureThreshold = failureThreshold };

    /// <summary>Requests and limits from (resource, quantity) pairs, in the order given.</summary>
    public static V1ResourceRequirements Resources((string Name, string Quantity)[] requests, (string Name, string Quantity)[] limits) =>
        new() { Requests = Quantities(requests), Limits = Quantities(limits) };

    private static Dictionary<string, ResourceQuantity> Quantities((string Name, string Quantity)[] entries) =>
        entries.ToDictionary(e => e.Name, e => new ResourceQuantity(e.Quantity));
}

namespace SlmCluster.AppHost.Publishing;

/// <summary>Small builders for Kubernetes objects as ordered maps, so the YAML comes out the same every time.</summary>
internal static class Manifest
{
    /// <summary>A map whose keys keep the order they are given in.</summary>
    public static Dictionary<string, object> Map(params (string Key, object? Value)[] entries)
    {
        var map = new Dictionary<string, object>(entries.Length);
        foreach (var (key, value) in entries)
        {
            if (value is not null)
            {
                map.Add(key, value);
            }
        }

        return map;
    }

    public static List<object> List(params object[] items) => [.. items];

    public static Dictionary<string, object> Kube(string apiVersion, string kind, string name, string? @namespace, Dictionary<string, object> labels,
        params (string Key, object? Value)[] body) =>
        Map([("apiVersion", apiVersion), ("kind", kind), ("metadata", Map(("name", name), ("namespace", @namespace), ("labels", labels))), .. body]);

    public static Dictionary<string, object> Env(string name, string value) => Map(("name", name), ("value", value));

    public static Dictionary<string, object> EnvFromField(string name, string fieldPath) =>
        Map(("name", name), ("valueFrom", Map(("fieldRef", Map(("fieldPath", fieldPath))))));

    public static Dictionary<string, object> EnvFromSecret(string name, string secret, string key) =>
        Map(("name", name), ("valueFrom", Map(("secretKeyRef", Map(("name", secret), ("key", key))))));

    public static Dictionary<string, object> Port(string name, int port) =>
        Map(("name", name), ("containerPort", port), ("protocol", "TCP"));

    /// <summary>Kubernetes' native gRPC probe (grpc.health.v1.Health/Check).</summary>
    public static Dictionary<string, object> GrpcProbe(int port, int periodSeconds, int failureThreshold, int timeoutSeconds = 2) =>
        Map(("grpc", Map(("port", port))), ("periodSeconds", periodSeconds), ("timeoutSeconds", timeoutSeconds), ("failureThreshold", failureThreshold));

    public static Dictionary<string, object> Resources(Dictionary<string, object> requests, Dictionary<string, object> limits) =>
        Map(("requests", requests), ("limits", limits));
}

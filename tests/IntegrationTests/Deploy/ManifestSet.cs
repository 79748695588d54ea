using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace SlmCluster.IntegrationTests.Deploy;

/// <summary>Every Kubernetes object in a folder of manifests, loaded with YamlDotNet, with paths into them.</summary>
internal sealed class ManifestSet
{
    private ManifestSet(IReadOnlyList<(string File, Dictionary<object, object> Object)> objects) => Objects = objects;

    public IReadOnlyList<(string File, Dictionary<object, object> Object)> Objects { get; }

    public static ManifestSet Load(string directory)
    {
        var deserializer = new DeserializerBuilder().Build();
        var objects = new List<(string, Dictionary<object, object>)>();
        foreach (var file in Directory.GetFiles(directory, "*.yaml").Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(file) == "kustomization.yaml")
            {
                continue;
            }

            using var reader = new StringReader(File.ReadAllText(file));
            var parser = new Parser(reader);
            parser.Consume<StreamStart>();
            while (parser.Accept<DocumentStart>(out _))
            {
                objects.Add((Path.GetFileName(file), deserializer.Deserialize<Dictionary<object, object>>(parser)));
            }
        }

        return new ManifestSet(objects);
    }

    public Dictionary<object, object> Single(string kind, string name) =>
        Assert.Single(Objects, o => Str(o.Object, "kind") == kind && Str(o.Object, "metadata.name") == name).Object;

    public IEnumerable<Dictionary<object, object>> OfKind(string kind) => Objects.Where(o => Str(o.Object, "kind") == kind).Select(o => o.Object);

    /// <summary>The Deployments and StatefulSets: everything that runs pods.</summary>
    public IEnumerable<Dictionary<object, object>> Workloads() => OfKind("Deployment").Concat(OfKind("StatefulSet"));

    /// <summary>The value at a dotted path (<c>spec.template.spec</c>); null when any step is missing.</summary>
    public static object? At(object node, string path)
    {
        foreach (var step in path.Split('.'))
        {
            if (node is not Dictionary<object, object> map || !map.TryGetValue(step, out var next))
            {
                return null;
            }

            node = next;
        }

        return node;
    }

    public static string? Str(object node, string path) => At(node, path) as string;

    public static Dictionary<object, object> MapAt(object node, string path) =>
        Assert.IsType<Dictionary<object, object>>(At(node, path));

    public static List<object> ListAt(object node, string path) => Assert.IsType<List<object>>(At(node, path));

    /// <summary>A container's environment variable (its value or valueFrom), or null when it has none of that name.</summary>
    public static Dictionary<object, object>? EnvVar(object container, string name) =>
        ListAt(container, "env").Cast<Dictionary<object, object>>().SingleOrDefault(e => Str(e, "name") == name);

    /// <summary>The names of a container's environment variables, in order.</summary>
    public static IEnumerable<string> EnvNames(object container) =>
        At(container, "env") is List<object> env ? env.Cast<Dictionary<object, object>>().Select(e => Str(e, "name")!) : [];

    /// <summary>The names of a container's ports.</summary>
    public static IEnumerable<string> PortNames(object container) =>
        At(container, "ports") is List<object> ports ? ports.Cast<Dictionary<object, object>>().Select(p => Str(p, "name")!) : [];

    /// <summary>The pod template's containers (or init containers) of a workload.</summary>
    public static IEnumerable<Dictionary<object, object>> Containers(object workload, string list = "containers") =>
        ListAt(workload, $"spec.template.spec.{list}").Cast<Dictionary<object, object>>();
}

namespace SlmCluster.AppHost.Hosting.Publishing;

/// <summary>One published file: its name in the output folder and its YAML.</summary>
internal sealed record ManifestFile(string Name, string Yaml);

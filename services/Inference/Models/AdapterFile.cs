namespace SlmCluster.Inference;

/// <summary>An adapter an engine loads at start: the name requests choose it by, and its GGUF file.</summary>
public sealed record AdapterFile(string Name, string Path);

namespace SlmCluster.Inference;

/// <summary>A declared adapter the engine refused at start, and why; the base model serves on without it.</summary>
public sealed record AdapterLoadFailure(string Name, string Path, string Reason);

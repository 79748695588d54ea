namespace SlmCluster.Contracts;

/// <summary>A declared adapter a worker refused at start (wrong model, corrupt, not an adapter), and why.</summary>
[GenerateSerializer, Immutable, Alias("slm.AdapterRefusal")]
public sealed record AdapterRefusal([property: Id(0)] string Name, [property: Id(1)] string Reason);

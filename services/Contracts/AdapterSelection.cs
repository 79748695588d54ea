namespace SlmCluster.Contracts;

/// <summary>A LoRA adapter a generation runs with, by its name on the worker, and its scale (1 as trained, 0 leaves it out).</summary>
[GenerateSerializer, Immutable, Alias("slm.AdapterSelection")]
public sealed record AdapterSelection([property: Id(0)] string Name, [property: Id(1)] float Scale = 1f);

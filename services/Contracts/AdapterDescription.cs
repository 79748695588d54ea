namespace SlmCluster.Contracts;

/// <summary>A LoRA adapter a worker loaded for its model: requests choose it by <see cref="Name"/>.</summary>
[GenerateSerializer, Immutable, Alias("slm.AdapterDescription")]
public sealed record AdapterDescription
{
    [Id(0)] public string Name { get; init; } = "";

    [Id(1)] public int Rank { get; init; }

    [Id(2)] public float Alpha { get; init; }

    [Id(3)] public ulong SizeBytes { get; init; }

    /// <summary>The adapter file's SHA-256 (hex); empty until it has been hashed. Cache keys carry it.</summary>
    [Id(4)] public string FileSha256 { get; init; } = "";
}

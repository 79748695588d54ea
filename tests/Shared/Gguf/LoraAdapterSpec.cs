namespace SlmCluster.Testing;

/// <summary>
/// What <see cref="GgufMetadataWriter.WriteLoraAdapter"/> writes: lora_a/lora_b pairs for every base weight whose name
/// contains one of <see cref="Targets"/> (e.g. "attn_q", "attn_v"), A and B filled with values uniform in
/// ±<see cref="Magnitude"/> from <see cref="Seed"/> (B all zero when <see cref="ZeroB"/>: the adapter changes nothing).
/// </summary>
public sealed record LoraAdapterSpec
{
    public int Rank { get; init; } = 8;

    public float Alpha { get; init; } = 8;

    public IReadOnlyList<string> Targets { get; init; } = ["attn_q", "attn_v"];

    public int Seed { get; init; } = 1;

    public float Magnitude { get; init; } = 0.5f;

    public bool ZeroB { get; init; }

    /// <summary>The <c>general.architecture</c> written; null takes the base's (another makes a mismatched adapter).</summary>
    public string? Architecture { get; init; }

    /// <summary>The <c>general.type</c> written: "adapter" for a real one.</summary>
    public string GeneralType { get; init; } = "adapter";
}

namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>One model of <c>/api/tags</c> (local models) and <c>/api/ps</c> (running models, with the <c>expires_at</c> and VRAM fields).</summary>
public sealed class OllamaModel
{
    public required string Name { get; init; }

    public required string Model { get; init; }

    public required DateTimeOffset ModifiedAt { get; init; }

    public required ulong Size { get; init; }

    public required string Digest { get; init; }

    public required OllamaModelDetails Details { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    public ulong? SizeVram { get; init; }

    public int? ContextLength { get; init; }
}

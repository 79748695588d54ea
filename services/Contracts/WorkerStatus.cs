namespace SlmCluster.Contracts;

/// <summary>What a worker grain reports for routing: the model it serves, where, and how busy it is.</summary>
[GenerateSerializer, Immutable, Alias("slm.WorkerStatus")]
public sealed record WorkerStatus
{
    /// <summary>The worker's id, reported in <c>served.worker_id</c>.</summary>
    [Id(0)] public string WorkerId { get; init; } = "";

    [Id(1)] public ModelDescription Model { get; init; } = new();

    /// <summary>The device it computes on: one of <see cref="Settings.ClusterSettings.Devices"/>.</summary>
    [Id(2)] public string Device { get; init; } = Settings.ClusterSettings.Devices.Cpu;

    /// <summary>Sequences decoded together at most.</summary>
    [Id(3)] public int Slots { get; init; }

    /// <summary>Requests being decoded now.</summary>
    [Id(4)] public int ActiveSequences { get; init; }

    /// <summary>Requests waiting for a slot.</summary>
    [Id(5)] public int QueueDepth { get; init; }

    /// <summary>Share of the KV cache's cells in use (0 to 1).</summary>
    [Id(6)] public double KvCacheUsage { get; init; }

    /// <summary>The worker is stopping: it finishes what it has and takes nothing new.</summary>
    [Id(7)] public bool Draining { get; init; }

    /// <summary>How many times this silo has activated its worker grain: 1 for the silo's whole life unless it was lost.</summary>
    [Id(8)] public int Activations { get; init; }
}

/// <summary>A model as a worker serves it.</summary>
[GenerateSerializer, Immutable, Alias("slm.ModelDescription")]
public sealed record ModelDescription
{
    /// <summary>The id requests use.</summary>
    [Id(0)] public string Id { get; init; } = "";

    [Id(1)] public string Name { get; init; } = "";

    [Id(2)] public string Architecture { get; init; } = "";

    [Id(3)] public ulong Parameters { get; init; }

    [Id(4)] public int ContextLength { get; init; }

    [Id(5)] public bool HasChatTemplate { get; init; }

    /// <summary>The model file's SHA-256 (hex); empty until it has been hashed.</summary>
    [Id(6)] public string FileSha256 { get; init; } = "";

    [Id(7)] public ulong SizeBytes { get; init; }

    /// <summary>How tools are offered to it (<see cref="ToolCallFormats"/>).</summary>
    [Id(8)] public string ToolCallFormat { get; init; } = ToolCallFormats.Json;

    /// <summary>The worker serves embeddings of this model (<c>Worker:Serves</c> embeddings or both).</summary>
    [Id(9)] public bool ServesEmbeddings { get; init; }

    /// <summary>The worker serves embeddings only: it refuses generations.</summary>
    [Id(10)] public bool EmbeddingsOnly { get; init; }

    /// <summary>Values in a full embedding vector (the model's hidden size); 0 when it serves no embeddings.</summary>
    [Id(11)] public int EmbeddingDimensions { get; init; }

    /// <summary>Longest embedding input in tokens; 0 when it serves no embeddings.</summary>
    [Id(12)] public int MaxEmbeddingInputTokens { get; init; }

    /// <summary>How its embedding vectors are pooled (<c>mean</c>, <c>cls</c>, <c>last</c>); empty when it serves no embeddings.</summary>
    [Id(13)] public string EmbeddingPooling { get; init; } = "";
    /// <summary>LoRA adapters loaded with the model, chosen per request by name.</summary>
    [Id(14)] public IReadOnlyList<AdapterDescription> Adapters { get; init; } = [];

    /// <summary>Declared adapters the worker refused at start, with the reason (the base serves without them).</summary>
    [Id(15)] public IReadOnlyList<AdapterRefusal> RefusedAdapters { get; init; } = [];
}

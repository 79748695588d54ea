namespace SlmCluster.Client.Chat;

/// <summary>How an <see cref="SlmClusterChatClient"/> calls the gateway when a request does not say otherwise.</summary>
public sealed class SlmClusterChatClientOptions
{
    /// <summary>Model id sent when <c>ChatOptions.ModelId</c> is not set; null lets the gateway choose its default.</summary>
    public string? DefaultModel { get; set; }

    /// <summary>Sampling temperature when the request gives none; 0 is greedy (reproducible, and cacheable by the gateway).</summary>
    public float DefaultTemperature { get; set; }

    /// <summary>API key sent as <c>authorization: Bearer ...</c> when the gateway requires keys.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Deadline of each call; null waits as long as the caller's token allows.</summary>
    public TimeSpan? Timeout { get; set; }
}

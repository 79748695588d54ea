namespace SlmCluster.Gateway.Cascade;

/// <summary>One tier of a route: a model the cluster serves (<see cref="Model"/>) or an OpenAI-compatible endpoint (<see cref="External"/>).</summary>
public sealed class CascadeTierOptions
{
    /// <summary>How responses, metrics and the dashboard name the tier; defaults to its model.</summary>
    public string? Name { get; set; }

    /// <summary>A model id the cluster's workers serve, or a LoRA adapter's name (run on its base at scale 1).</summary>
    public string? Model { get; set; }

    /// <summary>
    /// When this tier's answer is good enough to return (required on every tier but the last, which is not judged).
    /// Absent thresholds are not checked: an empty rule accepts any non-empty answer.
    /// </summary>
    public CascadeAcceptOptions? Accept { get; set; }

    /// <summary>A prompt longer than this many tokens (counted with this tier's model) skips the tier.</summary>
    public int? SkipWhenPromptTokensOver { get; set; }

    /// <summary>An OpenAI-compatible endpoint, only as the last tier.</summary>
    public ExternalTierOptions? External { get; set; }
}

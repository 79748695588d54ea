namespace SlmCluster.Inference;

/// <summary>
/// One adapter a request runs with, by name, and its scale: llama.cpp adds scale × alpha / rank × B·A to each adapted
/// weight, so 1 is the adapter as trained, 0 leaves it out and values between blend it with the base.
/// </summary>
public sealed record AdapterChoice(string Name, float Scale = 1f)
{
    /// <summary>Largest |scale| accepted: far past any useful blend, and well short of overflowing the logits.</summary>
    public const float MaxScale = 8f;
}

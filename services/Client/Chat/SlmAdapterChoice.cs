namespace SlmCluster.Client.Chat;

/// <summary>A LoRA adapter a chat runs with, by its name in the model list, and its scale (1 as trained).</summary>
public sealed record SlmAdapterChoice(string Name, float Scale = 1f);

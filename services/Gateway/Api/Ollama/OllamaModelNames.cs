namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>
/// Model names as Ollama clients write them: a name without a tag means <c>:latest</c>, so <c>stories260K</c> and
/// <c>stories260K:latest</c> are the same model. Each served model has one version here, its <c>latest</c>.
/// </summary>
internal static class OllamaModelNames
{
    public const string LatestTag = ":latest";

    /// <summary>The gateway's model id for a name a client sent.</summary>
    public static string ToModelId(string name) =>
        name.EndsWith(LatestTag, StringComparison.Ordinal) ? name[..^LatestTag.Length] : name;

    /// <summary>The name a client lists a served model by.</summary>
    public static string ToName(string modelId) => modelId + LatestTag;
}

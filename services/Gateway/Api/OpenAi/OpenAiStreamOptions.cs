namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary><c>stream_options</c>: with <c>include_usage</c> a last chunk before <c>[DONE]</c> carries the usage.</summary>
public sealed class OpenAiStreamOptions
{
    public bool? IncludeUsage { get; set; }
}

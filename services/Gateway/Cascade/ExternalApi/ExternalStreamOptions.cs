namespace SlmCluster.Gateway.Cascade.ExternalApi;

/// <summary><c>stream_options</c>: with <c>include_usage</c> the last event before <c>[DONE]</c> carries the usage.</summary>
internal sealed record ExternalStreamOptions(bool IncludeUsage);

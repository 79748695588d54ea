using System.Globalization;

namespace SlmCluster.Gateway.Api;

/// <summary>
/// When a refused call may be tried again: gRPC carries the whole seconds in a <c>retry-after</c> trailer, as HTTP's
/// <c>Retry-After</c> header does.
/// </summary>
public static class RetryAfterMetadata
{
    /// <summary>The metadata key (gRPC) that carries the seconds to wait.</summary>
    public const string Key = "retry-after";

    /// <summary>The value for a wait of <paramref name="wait"/>: whole seconds, rounded up, at least 1.</summary>
    public static string Seconds(TimeSpan wait) =>
        Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}

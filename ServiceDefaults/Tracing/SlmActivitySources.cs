using System.Diagnostics;

namespace SlmCluster.ServiceDefaults.Tracing;

/// <summary>The activity sources SlmCluster's services trace with, and how a trace crosses a gRPC call.</summary>
public static class SlmActivitySources
{
    /// <summary>Matches every SlmCluster source.</summary>
    public const string Wildcard = "SlmCluster.*";

    /// <summary>The W3C trace context header, sent as gRPC metadata.</summary>
    public const string TraceParentHeader = "traceparent";

    public const string TraceStateHeader = "tracestate";

    public static ActivitySource Gateway { get; } = new("SlmCluster.Gateway");

    public static ActivitySource Worker { get; } = new("SlmCluster.Worker");

    /// <summary>The parent a remote caller sent in <c>traceparent</c>/<c>tracestate</c>, or default when it sent none.</summary>
    public static ActivityContext ParentFrom(string? traceParent, string? traceState) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context) ? context : default;
}

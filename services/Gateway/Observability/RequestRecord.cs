using System.Text.Json;
using Grpc.Core;

namespace SlmCluster.Gateway.Observability;

/// <summary>How one request through the gateway ended: what the metrics and the dashboard count.</summary>
/// <param name="Model">
/// The model it was served by, or <see cref="UnknownModel"/> when it failed before one was resolved. A model name that
/// no worker serves is never a label value: callers choose it, and each name would be a series of its own.
/// </param>
/// <param name="Status">ok, cancelled, or the gRPC status in snake case (invalid_argument, unavailable, ...).</param>
/// <param name="Source">cache, worker, or gateway (refused before reaching either).</param>
/// <param name="Duration">From arrival at the gateway to the last chunk.</param>
/// <param name="TimeToFirstToken">From arrival to the first text; null when no text came.</param>
public readonly record struct RequestRecord(
    string Model,
    string Status,
    string Source,
    TimeSpan Duration,
    TimeSpan? TimeToFirstToken,
    int PromptTokens,
    int CompletionTokens,
    double CostUsd)
{
    /// <summary>
    /// The LoRA adapters it ran with (names joined by '+'), or null for the base model: only adapters a worker serves
    /// reach a label, as with models.
    /// </summary>
    public string? Adapter { get; init; }

    public const string FromCache = "cache";
    public const string FromWorker = "worker";
    public const string FromGateway = "gateway";

    /// <summary>The model label of a request refused before its model was resolved (an unknown model, say).</summary>
    public const string UnknownModel = "unknown";

    /// <summary>Every value of <see cref="Source"/>.</summary>
    public static IReadOnlyList<string> Sources { get; } = [FromCache, FromWorker, FromGateway];

    /// <summary>Every value of <see cref="Status"/>: ok, cancelled and the other gRPC statuses, in snake case.</summary>
    public static IReadOnlyList<string> Statuses => StatusLabels;

    // Named once per code: the label is taken on every request. The codes are 0 to 16, in order.
    private static readonly string[] StatusLabels = [.. Enum.GetValues<StatusCode>().Select(code => JsonNamingPolicy.SnakeCaseLower.ConvertName(code.ToString()))];

    /// <summary>A call's status as <see cref="Status"/> names it: <c>ok</c>, <c>cancelled</c>, <c>deadline_exceeded</c>.</summary>
    public static string StatusOf(StatusCode code) => (uint)code < (uint)StatusLabels.Length ? StatusLabels[(int)code] : "unknown";

    /// <summary>Average time between output tokens after the first; null with fewer than two tokens.</summary>
    public TimeSpan? TimePerOutputToken => TimeToFirstToken is { } first && CompletionTokens > 1
        ? (Duration - first) / (CompletionTokens - 1)
        : null;
}

using System.Text.Json;
using Grpc.Core;

namespace SlmCluster.Gateway.Observability;

/// <summary>A failed call's status as the metrics label it: the gRPC status in snake case (deadline_exceeded).</summary>
public static class StatusLabel
{
    // Computed once per code: the label is taken on every request.
    private static readonly string[] Labels = Enum.GetValues<StatusCode>()
        .Select(code => JsonNamingPolicy.SnakeCaseLower.ConvertName(code.ToString())).ToArray();

    public static string Of(StatusCode code) => (int)code >= 0 && (int)code < Labels.Length ? Labels[(int)code] : "unknown";
}

using System.Text.Json.Serialization;

namespace SlmCluster.Gateway.Dashboard;

/// <summary>Source-generated JSON for the dashboard's stats, in snake_case like the OpenAI API.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(DashboardSnapshot))]
internal sealed partial class DashboardJsonContext : JsonSerializerContext
{
}

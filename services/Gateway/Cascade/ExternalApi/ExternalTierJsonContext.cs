using System.Text.Json.Serialization;

namespace SlmCluster.Gateway.Cascade.ExternalApi;

/// <summary>Source-generated JSON of the external tiers' OpenAI API: snake_case names, nulls left out of requests.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ExternalChatRequest))]
[JsonSerializable(typeof(ExternalChatCompletion))]
internal sealed partial class ExternalTierJsonContext : JsonSerializerContext;

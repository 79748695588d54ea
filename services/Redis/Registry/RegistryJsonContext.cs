using System.Text.Json.Serialization;

namespace SlmCluster.Redis.Registry;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(WorkerRegistration))]
internal sealed partial class RegistryJsonContext : JsonSerializerContext;

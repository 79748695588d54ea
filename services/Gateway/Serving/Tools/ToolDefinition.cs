namespace SlmCluster.Gateway.Serving.Tools;

/// <summary>A function the model may call.</summary>
/// <param name="Parameters">The JSON Schema of its arguments (JSON text, an object schema).</param>
/// <param name="Param">The field its parameters came in, as the front door names it, for refusals.</param>
public sealed record ToolDefinition(string Name, string Description, string Parameters, string Param);

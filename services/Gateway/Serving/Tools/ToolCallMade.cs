namespace SlmCluster.Gateway.Serving.Tools;

/// <summary>A call an earlier answer made, as the conversation sends it back.</summary>
/// <param name="Arguments">Its arguments' JSON text.</param>
public sealed record ToolCallMade(string Id, string Name, string Arguments);

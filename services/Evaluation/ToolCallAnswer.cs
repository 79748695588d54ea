namespace SlmCluster.Evaluation;

/// <summary>A function call in an answer: the function's name and its arguments as JSON text.</summary>
public sealed record ToolCallAnswer(string Name, string ArgumentsJson);

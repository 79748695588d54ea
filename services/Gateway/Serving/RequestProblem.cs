namespace SlmCluster.Gateway.Serving;

/// <summary>Why a request is refused, and the field at fault as both APIs name it (<c>max_tokens</c>, <c>messages[2].role</c>).</summary>
public sealed record RequestProblem(string Message, string Param);

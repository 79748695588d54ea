namespace SlmCluster.Inference;

/// <summary>One message of a chat: a role ("system", "user", "assistant", ...) and its text.</summary>
public readonly record struct ChatTurn(string Role, string Content);

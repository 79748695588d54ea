namespace SlmCluster.Gateway.Cascade.ExternalApi;

/// <summary>A choice of an answer: <see cref="Message"/> in a whole one, <see cref="Delta"/> in an event of a stream.</summary>
internal sealed record ExternalChoice(ExternalChatMessage? Message, ExternalChatMessage? Delta, string? FinishReason);

namespace SlmCluster.Gateway.Cascade.ExternalApi;

/// <summary>A turn of the request's <c>messages</c>, and the <c>message</c> or <c>delta</c> of an answer's choice.</summary>
internal sealed record ExternalChatMessage(string? Role, string? Content);

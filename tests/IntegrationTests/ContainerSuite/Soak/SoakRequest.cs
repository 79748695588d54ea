namespace SlmCluster.IntegrationTests.ContainerSuite.Soak;

/// <summary>One request of the soak, as its caller saw it.</summary>
/// <param name="Kind">grpc-stream, grpc-unary or openai-http.</param>
/// <param name="Gateway">The gateway it was sent to.</param>
/// <param name="Worker">The worker that answered it, or the one its error names.</param>
/// <param name="Tokens">Completion tokens answered.</param>
/// <param name="Error">A short kind of failure (the gRPC status or HTTP status) and its detail; null when answered.</param>
internal sealed record SoakRequest(string Kind, string Gateway, TimeSpan Started, TimeSpan Ended, string? Worker, int Tokens, string? Error);

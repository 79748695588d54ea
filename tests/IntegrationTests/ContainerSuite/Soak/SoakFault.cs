namespace SlmCluster.IntegrationTests.ContainerSuite.Soak;

/// <summary>A fault the soak dealt: to which host, what, and from when until it was healed.</summary>
internal sealed record SoakFault(string Kind, string Host, TimeSpan From, TimeSpan Healed)
{
    /// <summary>How long after its healing a host counts as faulted: the time it takes to serve again (a restart, a rejoin).</summary>
    public static readonly TimeSpan Recovery = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whether <paramref name="request"/> was under way on the faulted host: sent through the faulted gateway, or
    /// answered by or naming the faulted worker, started before the host had recovered and ended after the fault began.
    /// </summary>
    public bool Covers(SoakRequest request) =>
        request.Started <= Healed + Recovery && request.Ended >= From
        && (request.Gateway == Host || request.Worker == Host || (request.Error?.Contains($"Worker {Host} ", StringComparison.Ordinal) ?? false));
}

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>The ports an AppHost listens on: the gateway's gRPC and HTTP, and the Aspire dashboard's three.</summary>
internal sealed record AppHostPorts(int Grpc, int Http, int Dashboard, int Otlp, int ResourceService)
{
    public static AppHostPorts Free() =>
        new(ServiceProcess.FreePort(), ServiceProcess.FreePort(), ServiceProcess.FreePort(), ServiceProcess.FreePort(), ServiceProcess.FreePort());
}

using Xunit;

namespace SlmCluster.UnitTests.Grpc;

/// <summary>One loopback server for a test class: starting Kestrel per test would cost more than the tests.</summary>
public sealed class LoopbackServerFixture : IAsyncLifetime
{
    public const int ServerMaxReceiveMessageSize = 64 * 1024;

    private LoopbackGrpcServer? _server;

    internal LoopbackTestService Service { get; } = new();

    internal LoopbackGrpcServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public async Task InitializeAsync()
    {
        _server = await LoopbackGrpcServer.StartAsync(
            Service.Map,
            configureGrpc: options => options.MaxReceiveMessageSize = ServerMaxReceiveMessageSize);

        // The first HTTP/2 request in a process pays for JIT of the whole stack (about a second here); pay it once.
        using var channel = _server.CreateChannel();
        await channel.UnaryAsync(LoopbackTestService.Echo, new Protocol.V1.GenerateRequest());
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

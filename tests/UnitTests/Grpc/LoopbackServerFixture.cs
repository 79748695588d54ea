using Xunit;

namespace SlmCluster.UnitTests.Grpc;

/// <summary>One loopback server (gRPC on Kestrel) for a test class: starting a server per test would cost more than the tests.</summary>
public class LoopbackServerFixture : IAsyncLifetime
{
    public const int ServerMaxReceiveMessageSize = 64 * 1024;

    private readonly bool _h2c;
    private LoopbackGrpcServer? _server;

    public LoopbackServerFixture()
        : this(h2c: false)
    {
    }

    protected LoopbackServerFixture(bool h2c) => _h2c = h2c;

    internal LoopbackTestService Service { get; } = new();

    internal LoopbackGrpcServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public async Task InitializeAsync()
    {
        _server = await LoopbackGrpcServer.StartAsync(
            Service.Map,
            configureGrpc: options => options.MaxReceiveMessageSize = ServerMaxReceiveMessageSize,
            h2c: _h2c);

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

/// <summary>The same loopback service, with gRPC served by the built-in h2c listener.</summary>
public sealed class H2cLoopbackServerFixture : LoopbackServerFixture
{
    public H2cLoopbackServerFixture()
        : base(h2c: true)
    {
    }
}

using System.Net;
using System.Net.Sockets;
using SlmCluster.Grpc;
using SlmCluster.Grpc.Transport;
using SlmCluster.Protocol.V1;
using Xunit;

namespace SlmCluster.UnitTests.Grpc;

public sealed class Http2PriorKnowledgeHandlerTests
{
    [Fact]
    public async Task Server_that_goes_silent_is_found_by_a_keep_alive_ping_and_the_call_fails_as_unavailable()
    {
        // A peer that says hello (its SETTINGS) and then never answers again, like a machine that vanished.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var silent = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            await socket.SendAsync(new byte[] { 0, 0, 0, 4, 0, 0, 0, 0, 0 });
            var sink = new byte[4096];
            while (await socket.ReceiveAsync(sink) > 0)
            {
            }
        });
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var handler = new Http2PriorKnowledgeHandler { KeepAlivePingDelay = TimeSpan.FromMilliseconds(200), KeepAlivePingTimeout = TimeSpan.FromMilliseconds(300) };
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions { Handler = handler });
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        var error = await Assert.ThrowsAsync<RpcException>(() => new InferenceClient(channel).GenerateAsync(
            new GenerateRequest { Prompt = "hello" }, new CallOptions(CancellationToken: guard.Token)));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("keep-alive PING", error.Detail);
        Assert.False(guard.IsCancellationRequested);
    }
}

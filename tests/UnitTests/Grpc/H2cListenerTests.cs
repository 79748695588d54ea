using System.Text;
using SlmCluster.Grpc;
using SlmCluster.Grpc.Transport;
using SlmCluster.Protocol.V1;
using Xunit;

namespace SlmCluster.UnitTests.Grpc;

/// <summary>
/// The built-in h2c listener at its edges: what a misbehaving or idle client gets, its limits, and a graceful stop.
/// Frames are written by hand where no well-behaved client would send them.
/// </summary>
public sealed class H2cListenerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Client_that_does_not_speak_http2_gets_goaway_protocol_error_and_the_server_goes_on()
    {
        await using var server = await StartAsync();
        await using (var client = await RawHttp2Client.ConnectAsync(server.Address, handshake: false))
        {
            await client.SendAsync(Encoding.ASCII.GetBytes("POST /test.v1.Loopback/Echo HTTP/1.1\r\nHost: x\r\n\r\n"));

            var frames = await client.ReadToEndAsync(Patience);

            var goAway = Assert.Single(frames, f => f.Type == Http2Frame.GoAway);
            Assert.Equal(Http2Frame.ProtocolError, goAway.ErrorCode);
            Assert.Contains("preface", Encoding.UTF8.GetString(goAway.Payload.AsSpan(8)));
        }

        await AssertStillServesAsync(server);
    }

    [Theory]
    [InlineData("DATA on stream 0", Http2Frame.Data, 0, Http2Frame.ProtocolError)]
    [InlineData("HEADERS on an even stream", Http2Frame.Headers, 2, Http2Frame.ProtocolError)]
    [InlineData("WINDOW_UPDATE of 0 for the connection", Http2Frame.WindowUpdate, 0, Http2Frame.ProtocolError)]
    [InlineData("PUSH_PROMISE from a client", Http2Frame.PushPromise, 1, Http2Frame.ProtocolError)]
    [InlineData("a PING of the wrong size", Http2Frame.Ping, 0, Http2Frame.FrameSizeError)]
    [InlineData("a header block the decoder cannot read", Http2Frame.Headers, 1, Http2Frame.CompressionError)]
    public async Task Protocol_error_ends_the_connection_with_its_code_and_the_server_goes_on(string what, byte type, int streamId, uint expected)
    {
        await using var server = await StartAsync();
        await using (var client = await RawHttp2Client.ConnectAsync(server.Address))
        {
            var payload = type switch
            {
                Http2Frame.WindowUpdate => new byte[4],
                Http2Frame.Ping => new byte[3],
                Http2Frame.Headers when streamId == 1 => [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], // an index past any table
                Http2Frame.Headers => [0x83],
                _ => new byte[8],
            };
            await client.SendFrameAsync(type, Http2Frame.EndHeaders, streamId, payload);

            var frames = await client.ReadToEndAsync(Patience);

            var goAway = Assert.Single(frames, f => f.Type == Http2Frame.GoAway);
            Assert.True(expected == goAway.ErrorCode, $"{what}: expected {Http2Frame.ErrorName(expected)}, got {Http2Frame.ErrorName(goAway.ErrorCode)}.");
        }

        await AssertStillServesAsync(server);
    }

    [Fact]
    public async Task Streams_beyond_the_limit_are_refused_and_a_reset_stream_counts_until_its_handler_ends()
    {
        await using var server = await StartAsync(h2c => h2c.MaxConcurrentStreams = 1);
        await using var client = await RawHttp2Client.ConnectAsync(server.Address);
        var waiting = server.Service.ExpectCancellation("held");

        await client.SendCallAsync(1, LoopbackTestService.WaitForCancel.FullName, new GenerateRequest { SessionId = "held", MaxTokens = 1 });
        await client.ReadUntilAsync(f => f.Type == Http2Frame.Data && f.StreamId == 1, Patience);
        await client.SendCallAsync(3, LoopbackTestService.Echo.FullName, new GenerateRequest { Prompt = "too many" });

        var refused = await client.ReadUntilAsync(f => f.Type == Http2Frame.RstStream, Patience);
        Assert.Equal(3, refused.StreamId);
        Assert.Equal(Http2Frame.RefusedStream, refused.ErrorCode);

        // The client gives up on stream 1: its handler is cancelled, and once it has ended, a new stream is taken.
        await client.SendFrameAsync(Http2Frame.RstStream, 0, 1, [0, 0, 0, (byte)Http2Frame.Cancel]);
        await waiting.Task.WaitAsync(Patience);
        RawHttp2Client.Frame trailers;
        var attempt = 5;
        while (true)
        {
            await client.SendCallAsync(attempt, LoopbackTestService.Echo.FullName, new GenerateRequest { Prompt = "my turn" });
            var answer = await client.ReadUntilAsync(f => f.StreamId == attempt && f.Type is Http2Frame.RstStream or Http2Frame.Headers, Patience);
            if (answer.Type == Http2Frame.Headers)
            {
                Assert.Contains((":status", "200"), client.Decode(answer));
                trailers = await client.ReadUntilAsync(f => f.StreamId == attempt && f.Type == Http2Frame.Headers, Patience);
                break;
            }

            // The handler's last steps may still be running a moment after its token fired.
            Assert.Equal(Http2Frame.RefusedStream, answer.ErrorCode);
            attempt += 2;
            Assert.True(attempt < 25, "A stream was still refused long after the held one ended.");
            await Task.Delay(20);
        }

        Assert.Contains(("grpc-status", "0"), client.Decode(trailers));
    }

    [Fact]
    public async Task Request_headers_over_the_limit_are_answered_resource_exhausted_on_a_connection_that_goes_on()
    {
        await using var server = await StartAsync(h2c => h2c.MaxHeaderListSize = 4096);
        using var channel = server.CreateChannel();

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(LoopbackTestService.Echo, new GenerateRequest { Prompt = "x" },
            new CallOptions(Headers: new Metadata { { "x-padding", new string('p', 5000) } })));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("4096", error.Detail);
        var response = await channel.UnaryAsync(LoopbackTestService.Echo, new GenerateRequest { Prompt = "same connection" });
        Assert.Equal("same connection", response.Text);
    }

    [Fact]
    public async Task Request_and_response_larger_than_the_flow_control_windows_arrive_whole()
    {
        await using var server = await StartAsync(configureGrpc: grpc => grpc.MaxReceiveMessageSize = 8 * 1024 * 1024);
        using var channel = server.CreateChannel();
        var prompt = string.Create(3 * 1024 * 1024, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = (char)('a' + (i % 26));
            }
        });

        var responses = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
            channel.UnaryAsync(LoopbackTestService.Echo, new GenerateRequest { Prompt = prompt }))).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.All(responses, r => Assert.Equal(prompt, r.Text));
    }

    [Fact]
    public async Task Idle_connection_is_closed_with_goaway_no_error()
    {
        await using var server = await StartAsync(h2c => h2c.IdleTimeout = TimeSpan.FromMilliseconds(200));
        await using var client = await RawHttp2Client.ConnectAsync(server.Address);

        var frames = await client.ReadToEndAsync(Patience);

        var goAway = Assert.Single(frames, f => f.Type == Http2Frame.GoAway);
        Assert.Equal(Http2Frame.NoError, goAway.ErrorCode);
    }

    [Fact]
    public async Task Connection_that_never_completes_the_handshake_is_closed()
    {
        await using var server = await StartAsync(h2c => h2c.HandshakeTimeout = TimeSpan.FromMilliseconds(200));
        await using var client = await RawHttp2Client.ConnectAsync(server.Address, handshake: false);

        var frames = await client.ReadToEndAsync(Patience);

        Assert.All(frames, f => Assert.NotEqual(Http2Frame.Headers, f.Type));
    }

    [Fact]
    public async Task Graceful_stop_lets_the_call_in_flight_finish_and_sends_goaway()
    {
        var server = await StartAsync();
        using var channel = server.CreateChannel();
        await using var call = channel.ServerStreaming(LoopbackTestService.BufferLast, new GenerateRequest { SessionId = "in-flight" });
        var chunks = call.ReadAllAsync().GetAsyncEnumerator();
        Assert.True(await chunks.MoveNextAsync());
        Assert.Equal("flushed", chunks.Current.Text);

        var stopping = server.StopAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(100);
        Assert.False(stopping.IsCompleted, "The server stopped without waiting for the call in flight.");
        server.Service.ReleaseOf("in-flight").TrySetResult();

        Assert.True(await chunks.MoveNextAsync());
        Assert.Equal("buffered", chunks.Current.Text);
        Assert.False(await chunks.MoveNextAsync());
        await stopping.WaitAsync(Patience);
        await server.DisposeAsync();
    }

    private static async Task AssertStillServesAsync(H2cServer server)
    {
        using var channel = server.CreateChannel();
        var response = await channel.UnaryAsync(LoopbackTestService.Echo, new GenerateRequest { Prompt = "still here" });
        Assert.Equal("still here", response.Text);
    }

    private static async Task<H2cServer> StartAsync(Action<GrpcH2cOptions>? configure = null, Action<GrpcServerOptions>? configureGrpc = null)
    {
        var service = new LoopbackTestService();
        var server = await LoopbackGrpcServer.StartAsync(service.Map, configureGrpc: configureGrpc, h2c: true, configureH2c: configure);
        return new H2cServer(server, service);
    }

    private sealed class H2cServer(LoopbackGrpcServer server, LoopbackTestService service) : IAsyncDisposable
    {
        private bool _disposed;

        public Uri Address => server.Address;

        public LoopbackTestService Service => service;

        public GrpcChannel CreateChannel() => server.CreateChannel();

        public Task StopAsync(TimeSpan grace) => server.StopAsync(grace);

        public async ValueTask DisposeAsync()
        {
            if (!_disposed)
            {
                _disposed = true;
                await server.DisposeAsync();
            }
        }
    }
}

using System.Buffers;
using System.Net;
using System.Net.Sockets;
using SlmCluster.Grpc;
using SlmCluster.Grpc.Protocol;
using SlmCluster.Protocol.V1;
using Xunit;

namespace SlmCluster.UnitTests.Grpc;

/// <summary>Our client against our server on Kestrel, over real HTTP/2 sockets.</summary>
public sealed class GrpcLoopbackTests(LoopbackServerFixture fixture) : GrpcLoopbackTestsBase<LoopbackServerFixture>(fixture)
{
    // Plain (non-gRPC) endpoints exist only where Kestrel serves the port: these check how the client reads them.
    [Fact]
    public async Task Plain_http_error_status_is_mapped_to_a_grpc_status()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Channel.UnaryAsync(LoopbackTestService.PlainHttp503, new GenerateRequest()));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("503", error.Detail);
    }

    [Fact]
    public async Task Response_that_ends_without_a_grpc_status_fails_with_internal()
    {
        await using var call = Channel.ServerStreaming(LoopbackTestService.PlainNoStatus, new GenerateRequest());

        var received = 0;
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var _ in call.ReadAllAsync())
            {
                received++;
            }
        });

        Assert.Equal(1, received);
        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("grpc-status", error.Detail);
    }
}

/// <summary>Our client against our server on the built-in h2c listener: the same calls, the same outcomes.</summary>
public sealed class H2cGrpcLoopbackTests(H2cLoopbackServerFixture fixture) : GrpcLoopbackTestsBase<H2cLoopbackServerFixture>(fixture)
{
    [Fact]
    public async Task Path_that_no_service_maps_is_unimplemented()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Channel.UnaryAsync(LoopbackTestService.PlainHttp503, new GenerateRequest()));

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }
}

/// <summary>Every behaviour of the gRPC layer, checked over real sockets against the server <typeparamref name="TFixture"/> runs.</summary>
public abstract class GrpcLoopbackTestsBase<TFixture> : IClassFixture<TFixture>, IDisposable
    where TFixture : LoopbackServerFixture
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    // Long enough for a call to leave a process whose gRPC paths are still being compiled while the other server's
    // test class runs beside it: a deadline that passes first fails without calling the server, which then never
    // sees the cancellation these tests wait for.
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(1);

    private readonly LoopbackServerFixture _fixture;
    private readonly GrpcChannel _channel;

    protected GrpcLoopbackTestsBase(TFixture fixture)
    {
        _fixture = fixture;
        _channel = fixture.Server.CreateChannel();
    }

    protected GrpcChannel Channel => _channel;

    public void Dispose() => _channel.Dispose();

    [Fact]
    public async Task Unary_call_returns_the_handlers_response()
    {
        var response = await _channel.UnaryAsync(LoopbackTestService.Echo, new GenerateRequest { Prompt = "Once upon a time" });

        Assert.Equal("Once upon a time", response.Text);
        Assert.Equal("/test.v1.Loopback/Echo", response.Served.Model);
        Assert.StartsWith("ipv4:127.0.0.1:", response.Served.WorkerId);
        Assert.Equal(-1, response.Served.TotalMs);
    }

    [Fact]
    public async Task Client_deadline_reaches_the_server_as_its_deadline()
    {
        var response = await _channel.UnaryAsync(
            LoopbackTestService.Echo,
            new GenerateRequest { Prompt = "x" },
            new CallOptions(Deadline: DateTime.UtcNow.AddSeconds(30)));

        Assert.InRange(response.Served.TotalMs, 25_000, 30_001);
    }

    [Fact]
    public async Task Server_streaming_delivers_every_message_in_order()
    {
        await using var call = _channel.ServerStreaming(LoopbackTestService.Count, new GenerateRequest { MaxTokens = 50 });

        var texts = new List<string>();
        await foreach (var chunk in call.ReadAllAsync())
        {
            texts.Add(chunk.Text);
        }

        Assert.Equal(Enumerable.Range(0, 50).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), texts);
    }

    [Fact]
    public async Task A_message_written_with_buffer_hint_leaves_with_the_end_of_the_call()
    {
        var session = Guid.NewGuid().ToString("N");
        await using var call = _channel.ServerStreaming(LoopbackTestService.BufferLast, new GenerateRequest { SessionId = session });
        await using var messages = call.ReadAllAsync().GetAsyncEnumerator();

        Assert.True(await messages.MoveNextAsync().AsTask().WaitAsync(Patience));
        Assert.Equal("flushed", messages.Current.Text);

        // Written, but not flushed: it must not arrive while the handler still runs.
        var next = messages.MoveNextAsync().AsTask();
        Assert.NotSame(next, await Task.WhenAny(next, Task.Delay(TimeSpan.FromMilliseconds(300))));

        _fixture.Service.ReleaseOf(session).SetResult();
        Assert.True(await next.WaitAsync(Patience));
        Assert.Equal("buffered", messages.Current.Text);
        Assert.False(await messages.MoveNextAsync().AsTask().WaitAsync(Patience));
    }

    [Fact]
    public async Task The_last_message_ends_the_call_with_ok_while_the_handler_is_still_running()
    {
        var sessionId = Guid.NewGuid().ToString();
        await using var call = _channel.ServerStreaming(LoopbackTestService.EndEarly, new GenerateRequest { SessionId = sessionId });

        var texts = new List<string>();
        await foreach (var chunk in call.ReadAllAsync().WithCancellation(default))
        {
            texts.Add(chunk.Text);
        }

        // The whole answer and its status arrived while the handler still waits to be released.
        Assert.Equal(["first", "last"], texts);
        Assert.Equal("early", call.GetTrailers().Get("x-ended"));
        Assert.False(_fixture.Service.LateWriteOf(sessionId).Task.IsCompleted);

        _fixture.Service.ReleaseOf(sessionId).TrySetResult();
        var lateWrite = await _fixture.Service.LateWriteOf(sessionId).Task.WaitAsync(Patience);
        Assert.IsType<InvalidOperationException>(lateWrite);
    }

    [Fact]
    public async Task Request_metadata_reaches_the_handler_and_its_trailers_reach_the_client()
    {
        var headers = new Metadata { { "X-Echo", "ping" } };
        await using var call = _channel.ServerStreaming(LoopbackTestService.Count, new GenerateRequest { MaxTokens = 1 }, new CallOptions(headers));

        await foreach (var _ in call.ReadAllAsync())
        {
        }

        Assert.Equal("ping", call.GetTrailers().Get("x-echoed"));
        Assert.Equal("0", call.GetTrailers().Get("grpc-status"));
    }

    [Fact]
    public async Task Rpc_exception_status_detail_and_trailers_reach_the_client()
    {
        const string detail = "mod\u00e8le 'tiny' is 100% not loaded\nretry";

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _channel.UnaryAsync(LoopbackTestService.Fail, new GenerateRequest { Prompt = detail }));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal(detail, error.Detail);
        Assert.Equal("not-loaded", error.Trailers.Get("x-reason"));
    }

    [Fact]
    public async Task Error_after_messages_is_sent_in_trailers_behind_them()
    {
        await using var call = _channel.ServerStreaming(LoopbackTestService.FailAfterTwo, new GenerateRequest());

        var texts = new List<string>();
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var chunk in call.ReadAllAsync())
            {
                texts.Add(chunk.Text);
            }
        });

        Assert.Equal(["one", "two"], texts);
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal("All slots are busy.", error.Detail);
    }

    [Fact]
    public async Task Error_before_the_first_message_is_a_trailers_only_response()
    {
        using var response = await SendRawAsync(LoopbackTestService.FailBeforeFirst.FullName, "application/grpc", Frame(new GenerateRequest()));
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/grpc", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("3", Header(response.Headers, "grpc-status"));
        Assert.Equal("prompt is empty", Header(response.Headers, "grpc-message"));
        Assert.Empty(body);
        Assert.Empty(response.TrailingHeaders);
    }

    [Fact]
    public async Task Trailers_only_error_reaches_the_client_as_its_status()
    {
        await using var call = _channel.ServerStreaming(LoopbackTestService.FailBeforeFirst, new GenerateRequest());

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var _ in call.ReadAllAsync())
            {
            }
        });

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("prompt is empty", error.Detail);
    }

    [Fact]
    public async Task Unhandled_exception_reaches_the_client_as_unknown_without_its_message()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _channel.UnaryAsync(LoopbackTestService.Crash, new GenerateRequest()));

        Assert.Equal(StatusCode.Unknown, error.StatusCode);
        Assert.DoesNotContain("secret", error.Detail);
    }

    [Fact]
    public async Task Deadline_ends_the_call_with_deadline_exceeded_and_fires_the_servers_token()
    {
        var sessionId = Guid.NewGuid().ToString();
        var serverCancelled = _fixture.Service.ExpectCancellation(sessionId);
        await using var call = _channel.ServerStreaming(
            LoopbackTestService.WaitForCancel,
            new GenerateRequest { SessionId = sessionId },
            new CallOptions(Deadline: DateTime.UtcNow + CallDeadline));

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var _ in call.ReadAllAsync())
            {
            }
        });

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        var serverDeadline = await serverCancelled.Task.WaitAsync(Patience);
        Assert.NotNull(serverDeadline);
    }

    [Fact]
    public async Task Unary_deadline_is_enforced_by_the_client_and_the_server()
    {
        var sessionId = Guid.NewGuid().ToString();
        var serverCancelled = _fixture.Service.ExpectCancellation(sessionId);
        var unaryOverStreamingPath = new GrpcMethod<GenerateRequest, GenerateChunk>(
            LoopbackTestService.ServiceName, "WaitForCancel", GrpcMethodType.Unary, GenerateRequest.Parser, GenerateChunk.Parser);

        var error = await Assert.ThrowsAsync<RpcException>(() => _channel.UnaryAsync(
            unaryOverStreamingPath,
            new GenerateRequest { SessionId = sessionId },
            new CallOptions(Deadline: DateTime.UtcNow + CallDeadline)));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        await serverCancelled.Task.WaitAsync(Patience);
    }

    [Fact]
    public async Task Deadline_already_passed_fails_without_calling_the_server()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _channel.UnaryAsync(
            LoopbackTestService.Echo,
            new GenerateRequest(),
            new CallOptions(Deadline: DateTime.UtcNow.AddSeconds(-1))));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task Streamed_message_arrives_while_the_handler_is_still_running_and_cancelling_fires_the_servers_token()
    {
        var sessionId = Guid.NewGuid().ToString();
        var serverCancelled = _fixture.Service.ExpectCancellation(sessionId);
        using var cancellation = new CancellationTokenSource();
        await using var call = _channel.ServerStreaming(
            LoopbackTestService.WaitForCancel,
            new GenerateRequest { SessionId = sessionId, MaxTokens = 1 },
            new CallOptions(CancellationToken: cancellation.Token));

        await using var messages = call.ReadAllAsync().GetAsyncEnumerator();
        Assert.True(await messages.MoveNextAsync().AsTask().WaitAsync(Patience));
        Assert.Equal("first", messages.Current.Text);
        Assert.False(serverCancelled.Task.IsCompleted);

        cancellation.Cancel();

        var error = await Assert.ThrowsAsync<RpcException>(() => messages.MoveNextAsync().AsTask());
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        await serverCancelled.Task.WaitAsync(Patience);
    }

    [Fact]
    public async Task Cancelling_while_no_read_is_pending_still_fires_the_servers_token()
    {
        var sessionId = Guid.NewGuid().ToString();
        var serverCancelled = _fixture.Service.ExpectCancellation(sessionId);
        using var cancellation = new CancellationTokenSource();
        await using var call = _channel.ServerStreaming(
            LoopbackTestService.WaitForCancel,
            new GenerateRequest { SessionId = sessionId, MaxTokens = 1 },
            new CallOptions(CancellationToken: cancellation.Token));
        var messages = call.ReadAllAsync().GetAsyncEnumerator();
        Assert.True(await messages.MoveNextAsync().AsTask().WaitAsync(Patience));

        cancellation.Cancel();

        await serverCancelled.Task.WaitAsync(Patience);
    }

    [Fact]
    public async Task Disposing_a_stream_in_flight_cancels_the_call_on_the_server()
    {
        var sessionId = Guid.NewGuid().ToString();
        var serverCancelled = _fixture.Service.ExpectCancellation(sessionId);
        var call = _channel.ServerStreaming(LoopbackTestService.WaitForCancel, new GenerateRequest { SessionId = sessionId, MaxTokens = 1 });
        await using (var messages = call.ReadAllAsync().GetAsyncEnumerator())
        {
            Assert.True(await messages.MoveNextAsync().AsTask().WaitAsync(Patience));
        }

        await call.DisposeAsync();

        await serverCancelled.Task.WaitAsync(Patience);
    }

    [Fact]
    public async Task Unknown_method_of_a_mapped_service_is_unimplemented()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _channel.UnaryAsync(LoopbackTestService.Missing, new GenerateRequest()));

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        Assert.Contains("/test.v1.Loopback/Missing", error.Detail);
    }

    [Fact]
    public async Task Unknown_service_is_unimplemented()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _channel.UnaryAsync(LoopbackTestService.UnknownService, new GenerateRequest()));

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }

    [Fact]
    public async Task Request_that_is_not_grpc_content_is_refused_with_415_and_a_grpc_status()
    {
        using var response = await SendRawAsync(LoopbackTestService.Echo.FullName, "application/json", "{}"u8.ToArray());

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("13", Header(response.Headers, "grpc-status"));
    }

    [Fact]
    public async Task Compressed_request_encoding_is_refused_as_unimplemented()
    {
        using var response = await SendRawAsync(LoopbackTestService.Echo.FullName, "application/grpc", Frame(new GenerateRequest()), ("grpc-encoding", "gzip"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("12", Header(response.Headers, "grpc-status"));
        Assert.Equal("identity", Header(response.Headers, "grpc-accept-encoding"));
    }

    [Fact]
    public async Task Truncated_request_frame_fails_with_internal_instead_of_hanging()
    {
        var frame = Frame(new GenerateRequest { Prompt = "cut short" });

        using var response = await SendRawAsync(LoopbackTestService.Echo.FullName, "application/grpc", frame[..^2]);

        Assert.Equal("13", Header(response.Headers, "grpc-status"));
    }

    [Fact]
    public async Task Request_over_the_servers_limit_is_refused_with_resource_exhausted()
    {
        var request = new GenerateRequest { Prompt = new string('p', LoopbackServerFixture.ServerMaxReceiveMessageSize + 1) };

        var error = await Assert.ThrowsAsync<RpcException>(() => _channel.UnaryAsync(LoopbackTestService.Echo, request));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task Request_over_the_clients_send_limit_fails_before_it_is_sent()
    {
        using var channel = _fixture.Server.CreateChannel(new GrpcChannelOptions { MaxSendMessageSize = 100 });

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(LoopbackTestService.Echo, new GenerateRequest { Prompt = new string('p', 200) }));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("Sending", error.Detail);
    }

    [Fact]
    public async Task Response_over_the_clients_limit_is_refused_with_resource_exhausted()
    {
        using var channel = _fixture.Server.CreateChannel(new GrpcChannelOptions { MaxReceiveMessageSize = 1024 });

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(LoopbackTestService.Large, new GenerateRequest { MaxTokens = 10_000 }));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task Channel_serves_many_concurrent_calls()
    {
        var calls = Enumerable.Range(0, 64).Select(i =>
            _channel.UnaryAsync(LoopbackTestService.Echo, new GenerateRequest { Prompt = $"p{i}" }));

        var responses = await Task.WhenAll(calls);

        Assert.Equal(Enumerable.Range(0, 64).Select(i => $"p{i}"), responses.Select(r => r.Text));
    }

    [Fact]
    public async Task Connection_refused_is_unavailable()
    {
        using var channel = GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{UnusedPort()}"));

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(LoopbackTestService.Echo, new GenerateRequest()));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
    }

    private async Task<HttpResponseMessage> SendRawAsync(string path, string contentType, byte[] body, params (string Name, string Value)[] headers)
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_fixture.Server.Address, path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        request.Headers.TryAddWithoutValidation("te", "trailers");
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        var response = await client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static string? Header(System.Net.Http.Headers.HttpHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    private static byte[] Frame(Google.Protobuf.IMessage message)
    {
        var writer = new ArrayBufferWriter<byte>();
        GrpcMessageWriter.Write(writer, message, int.MaxValue);
        return writer.WrittenSpan.ToArray();
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

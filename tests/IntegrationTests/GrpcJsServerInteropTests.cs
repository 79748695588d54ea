using System.Diagnostics;
using SlmCluster.Grpc;
using SlmCluster.Grpc.Transport;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;

namespace SlmCluster.IntegrationTests;

/// <summary>
/// The project's own HTTP/2 client (<see cref="Http2PriorKnowledgeHandler"/>, what every channel to an http address
/// uses) against a real gRPC server, @grpc/grpc-js on Node's HTTP/2: its HPACK (Huffman, dynamic table), its flow
/// control windows and its status trailers are not ours.
/// </summary>
public sealed class GrpcJsServerInteropTests : IAsyncLifetime
{
    private Process? _server;
    private GrpcChannel? _channel;

    private InferenceClient Client => new(_channel!);

    public async Task InitializeAsync()
    {
        var script = Path.Combine(TestPaths.InteropDirectory, "server.js");
        Assert.True(Directory.Exists(Path.Combine(TestPaths.InteropDirectory, "node_modules", "@grpc", "grpc-js")),
            "the grpc-js peer is not installed: run ./build.sh test (it runs npm ci in tests/IntegrationTests/interop)");
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(TestPaths.ProtosDirectory);
        _server = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var port = await _server.StandardOutput.ReadLineAsync(timeout.Token);
        if (!int.TryParse(port, out _))
        {
            // It exited (its stderr says why) or printed something else.
            Assert.Fail($"the grpc-js server did not start: {port} {await _server.StandardError.ReadToEndAsync(timeout.Token)}");
        }
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions { Handler = new Http2PriorKnowledgeHandler() });
    }

    public Task DisposeAsync()
    {
        _channel?.Dispose();
        if (_server is { HasExited: false })
        {
            _server.Kill();
        }

        _server?.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Streamed_chunks_headers_and_trailers_arrive_whole_on_every_call_of_one_connection()
    {
        // Several calls on one connection: the server's HPACK encoder refers back to fields of earlier responses.
        for (var round = 0; round < 3; round++)
        {
            await using var call = Client.GenerateStream(new GenerateRequest { Prompt = "hello", MaxTokens = 20 });
            var chunks = new List<GenerateChunk>();
            await foreach (var chunk in call.ReadAllAsync())
            {
                chunks.Add(chunk);
            }

            var headers = await call.ResponseHeadersAsync;
            Assert.Equal("grpc-js", headers.Get("x-peer"));
            Assert.Equal(string.Concat(Enumerable.Range(0, 20).Select(i => $"piece {i} ")), string.Concat(chunks.Select(c => c.Text)));
            Assert.Equal(FinishReason.Length, chunks[^1].FinishReason);
            Assert.Equal(20, chunks[^1].Usage.CompletionTokens);
            Assert.Equal("served 20", call.GetTrailers().Get("x-trailer"));
        }
    }

    [Fact]
    public async Task Request_larger_than_the_servers_first_window_is_sent_whole()
    {
        // Node's HTTP/2 opens 64 KiB per stream at first: the rest goes as its WINDOW_UPDATEs arrive.
        var prompt = new string('p', 300_000);

        var response = await Client.GenerateAsync(new GenerateRequest { Prompt = prompt, MaxTokens = 3 });

        Assert.Equal("300000:yyy", response.Text);
    }

    [Fact]
    public async Task Response_larger_than_this_sides_stream_window_arrives_whole()
    {
        // 3 MB against a 1 MiB stream window: the answer only completes if the client reopens the window as it reads.
        var response = await Client.GenerateAsync(new GenerateRequest { Prompt = "big", MaxTokens = 3_000_000 });

        Assert.Equal(3_000_002, response.Text.Length);
        Assert.StartsWith("3:yyy", response.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Error_status_and_its_non_ascii_message_reach_the_caller_for_unary_and_streamed_calls()
    {
        var unary = await Assert.ThrowsAsync<RpcException>(() => Client.GenerateAsync(new GenerateRequest { Model = "no-such-model" }));
        Assert.Equal(StatusCode.NotFound, unary.StatusCode);
        Assert.Equal("Model 'no-such-model' is not served by this peer (größe ≠ size)", unary.Detail);

        var streamed = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await using var call = Client.GenerateStream(new GenerateRequest { Model = "no-such-model", MaxTokens = 3 });
            await foreach (var _ in call.ReadAllAsync())
            {
            }
        });
        Assert.Equal(StatusCode.NotFound, streamed.StatusCode);
    }

    [Fact]
    public async Task Fifty_concurrent_streams_each_get_their_own_answer()
    {
        var answers = await Task.WhenAll(Enumerable.Range(1, 50).Select(async n =>
        {
            await using var call = Client.GenerateStream(new GenerateRequest { Prompt = new string('q', n), MaxTokens = n % 7 + 1 });
            var text = "";
            await foreach (var chunk in call.ReadAllAsync())
            {
                text += chunk.Text;
            }

            return (n, text);
        }));

        Assert.All(answers, a => Assert.Equal(string.Concat(Enumerable.Range(0, a.n % 7 + 1).Select(i => $"piece {i} ")), a.text));
        var models = await Client.ListModelsAsync(new ListModelsRequest());
        Assert.Equal("peer-model", Assert.Single(models.Models).Id);
    }
}

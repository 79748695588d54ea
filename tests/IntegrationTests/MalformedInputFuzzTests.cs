using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;

namespace SlmCluster.IntegrationTests;

/// <summary>
/// A thousand malformed inputs, half raw gRPC over HTTP/2 and half OpenAI JSON bodies, each answered with the status
/// its fault calls for; afterwards the gateway is alive and serves normal requests.
/// </summary>
/// <remarks>
/// Faults in the gRPC framing or the protobuf bytes are answered by Grpc.AspNetCore before our code runs: a message it
/// cannot read or parse ends the call with INTERNAL or UNKNOWN (its choice, by fault), never OK and never a crash.
/// Faults in a well-formed request are ours to answer, with the status the wire contract documents.
/// </remarks>
[Collection(ClusterCollection.Name)]
public sealed class MalformedInputFuzzTests(ClusterFixture cluster)
{
    private const int Inputs = 1000;
    private const int Seed = 20261121;
    private const string Generate = "/slm.v1.Inference/Generate";

    private static readonly string[] ValidBodies =
    [
        """{"model":"stories260K","prompt":"Once upon a time","max_tokens":1,"temperature":0,"stop":["x"]}""",
        """{"model":"stories260K","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Once upon a time"}],"max_tokens":1,"stream":true}""",
    ];

    [Fact]
    public async Task A_thousand_malformed_gRPC_frames_and_HTTP_bodies_are_refused_and_the_gateway_keeps_serving()
    {
        var random = new Random(Seed);
        var cases = Enumerable.Range(0, Inputs)
            .Select(i => i % 2 == 0 ? GrpcCase(random, i / 2) : HttpCase(random, i / 2))
            .ToList();
        var logBefore = cluster.Gateway.Output.Length;
        using var grpc = new HttpClient(new SocketsHttpHandler { EnableMultipleHttp2Connections = true }) { Timeout = TimeSpan.FromSeconds(15) };
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        var failures = new ConcurrentQueue<string>();

        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (c, _) =>
        {
            try
            {
                var outcome = c.Grpc ? await SendGrpcAsync(grpc, c) : await SendHttpAsync(http, c);
                if (!c.Expected.Contains(outcome))
                {
                    failures.Enqueue($"{c.Name}: got {outcome}, expected one of {string.Join(", ", c.Expected)}");
                }
            }
            catch (Exception e)
            {
                failures.Enqueue($"{c.Name}: {e.GetType().Name}: {e.Message}");
            }
        });
        watch.Stop();

        Assert.True(failures.IsEmpty, $"{failures.Count} of {Inputs} inputs were answered wrongly:\n{string.Join('\n', failures.Take(20))}");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"{Inputs} malformed inputs took {watch.Elapsed}");
        Assert.False(cluster.Gateway.HasExited, "the gateway process died");

        var normal = await cluster.GatewayClient.GenerateAsync(
            new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 4 }, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)));
        Assert.Equal(4, normal.Usage.CompletionTokens);
        using var openAi = new OpenAiHttpClient(cluster.Gateway.HttpAddress);
        var chat = await openAi.PostAsync("/v1/chat/completions", """{"messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":4}""");
        Assert.Equal(HttpStatusCode.OK, chat.Status);

        var log = cluster.Gateway.Output[logBefore..];
        Assert.DoesNotContain("unhandled exception", log, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Exception was thrown by handler", log, StringComparison.Ordinal);
    }

    /// <summary>One malformed input: what is sent, and the outcomes (<c>grpc-status N</c> / <c>http N</c>) that are right for it.</summary>
    private sealed record FuzzCase(string Name, bool Grpc, string Path, string? ContentType, byte[] Body, string[] Expected, string? Encoding = null);

    private static FuzzCase GrpcCase(Random random, int i)
    {
        string Status(StatusCode code) => $"grpc-status {(int)code}";
        var valid = new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 1 }.ToByteArray();
        var internalError = new[] { Status(StatusCode.Internal), Status(StatusCode.Unknown) };
        switch (i % 12)
        {
            case 0: // a length prefix promising more bytes than the body holds
                var promised = Frame(valid, length: (uint)(valid.Length + random.Next(1, 1000)));
                return new("grpc length prefix too long", true, Generate, "application/grpc", promised, internalError);
            case 1: // a frame cut off inside its 5-byte header
                return new("grpc truncated header", true, Generate, "application/grpc", Frame(valid)[..random.Next(1, 5)], internalError);
            case 2: // a frame cut off inside its message
                var whole = Frame(valid);
                return new("grpc truncated message", true, Generate, "application/grpc", whole[..random.Next(6, whole.Length)], internalError);
            case 3: // bytes that cannot be protobuf: field number 0 is never valid
                return new("grpc garbage protobuf", true, Generate, "application/grpc", Frame([0x00, .. Bytes(random, 1, 64)]), internalError);
            case 4: // a length over the 4 MiB message limit, refused before it is read
                var oversize = Frame(valid, length: (uint)random.NextInt64(4 * 1024 * 1024 + 1, uint.MaxValue));
                return new("grpc oversize length", true, Generate, "application/grpc", oversize, [Status(StatusCode.ResourceExhausted), Status(StatusCode.Internal), Status(StatusCode.Unknown)]);
            case 5: // not gRPC at all
                string[] types = ["application/json", "text/plain", "application/grpc-web", "application/grpcx", "multipart/form-data"];
                return new("grpc wrong content-type", true, Generate, types[random.Next(types.Length)], Frame(valid), ["http 415"]);
            case 6: // a compressed flag without negotiated compression, or no flag value gRPC defines
                var flagged = Frame(valid);
                flagged[0] = (byte)random.Next(1, 256);
                return new("grpc bad compressed flag", true, Generate, "application/grpc", flagged, internalError);
            case 7: // strings that are not UTF-8, as proto3 requires them to be
                var badUtf8 = Bytes(random, 1, 16).Concat(new byte[] { 0xC0, 0x80, 0xFF }).ToArray();
                byte[] field = (random.Next(3)) switch
                {
                    0 => [0x12, (byte)badUtf8.Length, .. badUtf8],                                      // prompt
                    1 => [0x0A, (byte)badUtf8.Length, .. badUtf8, 0x12, 0x02, (byte)'h', (byte)'i'],     // model
                    _ => [0x1A, (byte)(badUtf8.Length + 2), 0x0A, (byte)badUtf8.Length, .. badUtf8],      // messages[0].role
                };
                return new("grpc invalid UTF-8 string", true, Generate, "application/grpc", Frame(field), internalError);
            case 8: // two messages where the method takes one, or none at all
                return random.Next(2) == 0
                    ? new("grpc two messages", true, Generate, "application/grpc", [.. Frame(valid), .. Frame(valid)], internalError)
                    : new("grpc empty body", true, Generate, "application/grpc", [], internalError);
            case 9: // well-formed, but a request the validator refuses
                var invalid = new GenerateRequest { Prompt = random.Next(2) == 0 ? "" : "Once", MaxTokens = -random.Next(1, 100) };
                return new("grpc invalid request", true, Generate, "application/grpc", Frame(invalid.ToByteArray()), [Status(StatusCode.InvalidArgument)]);
            case 10: // a method the server does not have, or a compressed message in an encoding it does not offer
                var compressed = Frame(valid);
                compressed[0] = 1;
                return random.Next(2) == 0
                    ? new("grpc unknown method", true, "/slm.v1.Inference/Explode", "application/grpc", Frame(valid), [Status(StatusCode.Unimplemented)])
                    : new("grpc unknown encoding", true, Generate, "application/grpc", compressed, [Status(StatusCode.Unimplemented)], Encoding: "x-unknown");
            default: // random bytes in a well-formed frame: whatever they parse to, never an unhandled failure
                return new("grpc random payload", true, Generate, "application/grpc", Frame(Bytes(random, 0, 200)),
                    [.. new[] { StatusCode.OK, StatusCode.Internal, StatusCode.Unknown, StatusCode.InvalidArgument, StatusCode.NotFound, StatusCode.DeadlineExceeded }.Select(Status)]);
        }
    }

    private static FuzzCase HttpCase(Random random, int i)
    {
        var path = i % 2 == 0 ? "/v1/completions" : "/v1/chat/completions";
        var valid = Encoding.UTF8.GetBytes(path == "/v1/completions" ? ValidBodies[0] : ValidBodies[1]);
        string[] badRequest = ["http 400"];
        switch (i % 10)
        {
            case 0:
                return new("http random bytes", false, path, "application/json", Bytes(random, 1, 300), badRequest);
            case 1:
                return new("http truncated JSON", false, path, "application/json", valid[..random.Next(1, valid.Length - 1)], badRequest);
            case 2: // one byte changed anywhere: a typo, a broken string, or still a valid request
                var flipped = (byte[])valid.Clone();
                flipped[random.Next(flipped.Length)] = (byte)random.Next(256);
                return new("http flipped byte", false, path, "application/json", flipped, ["http 200", "http 400", "http 404"]);
            case 3: // a field of the wrong type
                string[] fields = ["max_tokens", "temperature", "stream", "n", "stop", "top_p", "seed", path == "/v1/completions" ? "prompt" : "messages"];
                string[] values = ["\"text\"", "{}", "[{}]", "true", "1e400", "-1", "99999999999", "[[1]]", "{\"a\":[]}"];
                var field = fields[random.Next(fields.Length)];
                var value = values[random.Next(values.Length)];
                var body = path == "/v1/completions"
                    ? $$"""{"prompt":"Once","max_tokens":1,"{{field}}":{{value}}}"""
                    : $$"""{"messages":[{"role":"user","content":"Once"}],"max_tokens":1,"{{field}}":{{value}}}""";
                // A few combinations are valid after all: any integer seed, a stop or prompt string, stream true.
                string[] allowed = (field, value) is ("seed", "-1" or "99999999999") or ("stop" or "prompt", "\"text\"") or ("stream", "true")
                    ? ["http 200"]
                    : badRequest;
                return new($"http wrong type {field}={value}", false, path, "application/json", Encoding.UTF8.GetBytes(body), allowed);
            case 4:
                var depth = random.Next(65, 5000);
                return new("http deep nesting", false, path, "application/json",
                    Encoding.UTF8.GetBytes($"{{\"prompt\":{new string('[', depth)}{new string(']', depth)}}}"), badRequest);
            case 5:
                string[] escapes = ["\\ud800", "\\udfff", "\\ud800\\u0041", "\\uZZZZ", "\\x41", "\\"];
                return new("http bad string escape", false, path, "application/json",
                    Encoding.UTF8.GetBytes($$"""{"prompt":"Once{{escapes[random.Next(escapes.Length)]}}","messages":[{"role":"user{{escapes[random.Next(escapes.Length)]}}","content":"x"}]}"""), badRequest);
            case 6:
                string[] notObjects = ["null", "[]", "42", "\"text\"", "true", "{}", "{\"prompt\":null}"];
                return new("http not a request object", false, path, "application/json", Encoding.UTF8.GetBytes(notObjects[random.Next(notObjects.Length)]), badRequest);
            case 7:
                byte[][] invalidUtf8 = [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xE2, 0x82], [0xFF]];
                return new("http invalid UTF-8", false, path, "application/json",
                    [.. "{\"prompt\":\"Once "u8, .. invalidUtf8[random.Next(invalidUtf8.Length)], .. "\"}"u8], badRequest);
            case 8:
                // Mostly just over a prompt's character limit; now and then over the 1 MiB body limit.
                return random.Next(10) == 0
                    ? new("http body too large", false, path, "application/json", Encoding.UTF8.GetBytes($"{{\"prompt\":\"{new string('a', 1024 * 1024 + 10)}\"}}"), ["http 413"])
                    : new("http prompt too long", false, "/v1/completions", "application/json", Encoding.UTF8.GetBytes($"{{\"prompt\":\"{new string('a', 40_000)}\"}}"), badRequest);
            default:
                return new("http garbage content-type", false, path, random.Next(2) == 0 ? "text/plain" : "application/x-www-form-urlencoded",
                    Encoding.UTF8.GetBytes("prompt=Once&max_tokens=1"), badRequest);
        }
    }

    private async Task<string> SendGrpcAsync(HttpClient client, FuzzCase c)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(cluster.Gateway.GrpcAddress, c.Path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(c.Body),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", c.ContentType);
        request.Headers.TryAddWithoutValidation("te", "trailers");
        request.Headers.TryAddWithoutValidation("grpc-timeout", "2S");
        if (c.Encoding is not null)
        {
            request.Headers.TryAddWithoutValidation("grpc-encoding", c.Encoding);
        }

        using var response = await client.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return $"http {(int)response.StatusCode}";
        }

        var status = response.Headers.TryGetValues("grpc-status", out var inHeaders) ? inHeaders.First()
            : response.TrailingHeaders.TryGetValues("grpc-status", out var inTrailers) ? inTrailers.First()
            : "none";
        return $"grpc-status {status}";
    }

    private async Task<string> SendHttpAsync(HttpClient client, FuzzCase c)
    {
        using var content = new ByteArrayContent(c.Body);
        content.Headers.TryAddWithoutValidation("Content-Type", c.ContentType);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(cluster.Gateway.HttpAddress, c.Path)) { Content = content };
        // As curl does for large bodies: ask before sending, so a refusal (413) arrives before the upload
        // instead of the server closing the connection under a client that is still writing.
        request.Headers.ExpectContinue = c.Body.Length > 64 * 1024;
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            // Every refusal is an OpenAI error body, whatever the input was.
            using var error = JsonDocument.Parse(text);
            Assert.Equal(JsonValueKind.String, error.RootElement.GetProperty("error").GetProperty("message").ValueKind);
        }

        return $"http {(int)response.StatusCode}";
    }

    private static byte[] Frame(byte[] message, uint? length = null)
    {
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), length ?? (uint)message.Length);
        message.CopyTo(frame, 5);
        return frame;
    }

    private static byte[] Bytes(Random random, int min, int max)
    {
        var bytes = new byte[random.Next(min, max + 1)];
        random.NextBytes(bytes);
        return bytes;
    }
}

using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SlmCluster.Grpc;
using SlmCluster.Protocol.V1;

namespace SlmCluster.UnitTests.Grpc;

/// <summary>Handlers with one behaviour each, so a test names what it exercises by the method it calls.</summary>
internal sealed class LoopbackTestService
{
    public const string ServiceName = "test.v1.Loopback";

    public static readonly GrpcMethod<GenerateRequest, GenerateResponse> Echo = Unary("Echo");
    public static readonly GrpcMethod<GenerateRequest, GenerateResponse> Fail = Unary("Fail");
    public static readonly GrpcMethod<GenerateRequest, GenerateResponse> Crash = Unary("Crash");
    public static readonly GrpcMethod<GenerateRequest, GenerateResponse> Large = Unary("Large");
    public static readonly GrpcMethod<GenerateRequest, GenerateResponse> Missing = Unary("Missing");
    public static readonly GrpcMethod<GenerateRequest, GenerateResponse> UnknownService =
        new("test.v1.Nowhere", "Echo", GrpcMethodType.Unary, GenerateRequest.Parser, GenerateResponse.Parser);
    public static readonly GrpcMethod<GenerateRequest, GenerateResponse> PlainHttp503 =
        new("test.v1.Plain", "Unavailable", GrpcMethodType.Unary, GenerateRequest.Parser, GenerateResponse.Parser);
    public static readonly GrpcMethod<GenerateRequest, GenerateChunk> PlainNoStatus =
        new("test.v1.Plain", "NoStatus", GrpcMethodType.ServerStreaming, GenerateRequest.Parser, GenerateChunk.Parser);

    public static readonly GrpcMethod<GenerateRequest, GenerateChunk> Count = Streaming("Count");
    public static readonly GrpcMethod<GenerateRequest, GenerateChunk> FailAfterTwo = Streaming("FailAfterTwo");
    public static readonly GrpcMethod<GenerateRequest, GenerateChunk> FailBeforeFirst = Streaming("FailBeforeFirst");
    public static readonly GrpcMethod<GenerateRequest, GenerateChunk> WaitForCancel = Streaming("WaitForCancel");
    public static readonly GrpcMethod<GenerateRequest, GenerateChunk> BufferLast = Streaming("BufferLast");
    public static readonly GrpcMethod<GenerateRequest, GenerateChunk> EndEarly = Streaming("EndEarly");

    /// <summary>Completed, keyed by the request's session id, with what an EndEarly handler's write after its last message threw.</summary>
    public ConcurrentDictionary<string, TaskCompletionSource<Exception?>> LateWrites { get; } = new();

    public TaskCompletionSource<Exception?> LateWriteOf(string sessionId) =>
        LateWrites.GetOrAdd(sessionId, _ => new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Completed, keyed by the request's session id, when a WaitForCancel handler sees its token fire.</summary>
    public ConcurrentDictionary<string, TaskCompletionSource<DateTime?>> ServerCancellations { get; } = new();

    /// <summary>Completed by a test, keyed by the request's session id, to let a BufferLast handler return.</summary>
    public ConcurrentDictionary<string, TaskCompletionSource> Releases { get; } = new();

    public TaskCompletionSource ReleaseOf(string sessionId) =>
        Releases.GetOrAdd(sessionId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public TaskCompletionSource<DateTime?> ExpectCancellation(string sessionId) =>
        ServerCancellations.GetOrAdd(sessionId, _ => new TaskCompletionSource<DateTime?>(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Map(WebApplication app)
    {
        app.MapGrpcUnary(Echo, (request, context) => Task.FromResult(new GenerateResponse
        {
            Text = request.Prompt,
            Served = new Served
            {
                WorkerId = context.Peer,
                Model = context.Method,
                TotalMs = context.Deadline is { } deadline ? (deadline - DateTime.UtcNow).TotalMilliseconds : -1,
            },
        }));

        app.MapGrpcUnary<GenerateRequest, GenerateResponse>(Fail, (request, _) =>
            throw new RpcException(StatusCode.NotFound, request.Prompt, new Metadata { { "x-reason", "not-loaded" } }));

        app.MapGrpcUnary<GenerateRequest, GenerateResponse>(Crash, (_, _) =>
            throw new InvalidOperationException("secret internal state"));

        app.MapGrpcUnary(Large, (request, _) => Task.FromResult(new GenerateResponse { Text = new string('L', request.MaxTokens) }));

        app.MapGrpcServerStreaming(Count, async (request, writer, context) =>
        {
            for (var i = 0; i < request.MaxTokens; i++)
            {
                await writer.WriteAsync(new GenerateChunk { Text = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            }

            context.ResponseTrailers.Add("x-echoed", context.RequestHeaders.Get("x-echo") ?? "(none)");
        });

        app.MapGrpcServerStreaming(FailAfterTwo, async (request, writer, context) =>
        {
            await writer.WriteAsync(new GenerateChunk { Text = "one" });
            await writer.WriteAsync(new GenerateChunk { Text = "two" });
            throw new RpcException(StatusCode.ResourceExhausted, "All slots are busy.");
        });

        app.MapGrpcServerStreaming<GenerateRequest, GenerateChunk>(FailBeforeFirst, (request, _, _) =>
            throw new RpcException(StatusCode.InvalidArgument, "prompt is empty"));

        app.MapGrpcServerStreaming(WaitForCancel, async (request, writer, context) =>
        {
            var signal = ExpectCancellation(request.SessionId);
            for (var i = 0; i < request.MaxTokens; i++)
            {
                await writer.WriteAsync(new GenerateChunk { Text = "first" });
            }

            try
            {
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
            }
            finally
            {
                signal.TrySetResult(context.CancellationToken.IsCancellationRequested ? context.Deadline : null);
            }
        });

        // A flushed message, then one written with BufferHint, then the handler waits to be released.
        app.MapGrpcServerStreaming(BufferLast, async (request, writer, context) =>
        {
            await writer.WriteAsync(new GenerateChunk { Text = "flushed" });
            writer.WriteOptions = new WriteOptions(WriteFlags.BufferHint);
            await writer.WriteAsync(new GenerateChunk { Text = "buffered" });
            await ReleaseOf(request.SessionId).Task.WaitAsync(context.CancellationToken);
        });

        // Ends the call with its second message, then goes on working until released, and tries one more write.
        app.MapGrpcServerStreaming(EndEarly, async (request, writer, context) =>
        {
            await writer.WriteAsync(new GenerateChunk { Text = "first" });
            context.ResponseTrailers.Add("x-ended", "early");
            await writer.WriteLastAsync(new GenerateChunk { Text = "last" });
            await ReleaseOf(request.SessionId).Task.WaitAsync(TimeSpan.FromSeconds(10));
            try
            {
                await writer.WriteAsync(new GenerateChunk { Text = "too late" });
                LateWriteOf(request.SessionId).TrySetResult(null);
            }
            catch (Exception ex)
            {
                LateWriteOf(request.SessionId).TrySetResult(ex);
                throw;
            }
        });

        app.MapPost("/test.v1.Plain/Unavailable", () => Results.StatusCode(StatusCodes.Status503ServiceUnavailable));

        // Looks like gRPC but never says how the call ended.
        app.MapPost("/test.v1.Plain/NoStatus", (HttpContext context) =>
        {
            context.Response.ContentType = "application/grpc";
            return context.Response.Body.WriteAsync(new byte[] { 0, 0, 0, 0, 0 }).AsTask();
        });
    }

    private static GrpcMethod<GenerateRequest, GenerateResponse> Unary(string name) =>
        new(ServiceName, name, GrpcMethodType.Unary, GenerateRequest.Parser, GenerateResponse.Parser);

    private static GrpcMethod<GenerateRequest, GenerateChunk> Streaming(string name) =>
        new(ServiceName, name, GrpcMethodType.ServerStreaming, GenerateRequest.Parser, GenerateChunk.Parser);
}

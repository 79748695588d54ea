using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using SlmCluster.Grpc.Protocol;

namespace SlmCluster.Grpc.Server;

/// <summary>
/// The life of one server call, shared by every method type: accept the request, apply the deadline,
/// run the method, and end with a status that matches what happened.
/// </summary>
internal abstract class ServerCallHandler
{
    // CancellationTokenSource timers cannot go further; a longer grpc-timeout is as good as none.
    private static readonly TimeSpan MaxTimerDelay = TimeSpan.FromMilliseconds(int.MaxValue);

    private readonly string _method;

    protected ServerCallHandler(string method, GrpcServerOptions options, ILogger logger)
    {
        _method = method;
        Options = options;
        Logger = logger;
    }

    protected GrpcServerOptions Options { get; }

    protected ILogger Logger { get; }

    public async Task HandleCallAsync(HttpContext httpContext)
    {
        if (!GrpcRequestValidation.TryAccept(httpContext, Logger))
        {
            return;
        }

        var requestAborted = httpContext.RequestAborted;
        var timeout = ReadTimeout(httpContext);
        using var deadlineSource = timeout is { } delay && delay < MaxTimerDelay
            ? CancellationTokenSource.CreateLinkedTokenSource(requestAborted)
            : null;
        deadlineSource?.CancelAfter(timeout!.Value);

        var context = new ServerCallContext(
            httpContext,
            _method,
            timeout is { } t ? ToDeadline(t) : null,
            deadlineSource?.Token ?? requestAborted);

        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcProtocol.ContentType;

        // gRPC message limits govern instead of Kestrel's whole-body limit.
        if (httpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = null;
        }

        StatusCode code;
        string detail;
        try
        {
            await HandleCoreAsync(httpContext, context);
            code = StatusCode.OK;
            detail = string.Empty;
        }
        catch (Exception ex)
        {
            (code, detail) = ResolveStatus(ex, context);
        }

        if (context.EndedEarly)
        {
            // The client has its answer and the OK status; a later failure was logged by ResolveStatus.
            return;
        }

        if (requestAborted.IsCancellationRequested)
        {
            // The stream is gone: nothing more can reach the client.
            return;
        }

        if (context.ResponseStarted || response.HasStarted)
        {
            GrpcServerStatus.WriteTrailers(response, code, detail, context.ResponseTrailersOrNull);
        }
        else
        {
            GrpcServerStatus.WriteTrailersOnly(response, code, detail, context.ResponseTrailersOrNull);
        }
    }

    protected abstract Task HandleCoreAsync(HttpContext httpContext, ServerCallContext context);

    /// <summary>Reads the one request message of a unary or server-streaming call, through to the end of the request.</summary>
    protected async Task<TRequest> ReadSingleRequestAsync<TRequest>(
        HttpContext httpContext,
        MessageParser<TRequest> parser,
        CancellationToken cancellationToken)
        where TRequest : IMessage<TRequest>
    {
        var reader = httpContext.Request.BodyReader;
        var request = await GrpcMessageReader.ReadMessageAsync(reader, parser, Options.MaxReceiveMessageSize, cancellationToken);
        if (request is null)
        {
            throw new RpcException(StatusCode.Internal, "The request ended without a message; this method takes exactly one.");
        }

        var extra = await GrpcMessageReader.ReadMessageAsync(reader, parser, Options.MaxReceiveMessageSize, cancellationToken);
        if (extra is not null)
        {
            throw new RpcException(StatusCode.Internal, "The request carried more than one message; this method takes exactly one.");
        }

        return request;
    }

    private TimeSpan? ReadTimeout(HttpContext httpContext)
    {
        var value = httpContext.Request.Headers[GrpcProtocol.TimeoutHeader].ToString();
        if (value.Length == 0)
        {
            return null;
        }

        if (GrpcTimeout.TryParse(value, out var timeout))
        {
            return timeout;
        }

        GrpcServerLog.InvalidTimeout(Logger, value, _method);
        return null;
    }

    private static DateTime ToDeadline(TimeSpan timeout)
    {
        var now = DateTime.UtcNow;
        return timeout < DateTime.MaxValue - now ? now + timeout : DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc);
    }

    private (StatusCode Code, string Detail) ResolveStatus(Exception exception, ServerCallContext context)
    {
        if (context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            GrpcServerLog.CanceledByClient(Logger, _method);
            return (StatusCode.Cancelled, "Call canceled by the client.");
        }

        switch (exception)
        {
            case RpcException rpc:
                foreach (var (key, value) in rpc.Trailers)
                {
                    context.ResponseTrailers.Add(key, value);
                }

                GrpcServerLog.CallFailed(Logger, _method, rpc.StatusCode, rpc.Detail);
                return (rpc.StatusCode, rpc.Detail);

            case OperationCanceledException when context.CancellationToken.IsCancellationRequested:
                GrpcServerLog.DeadlineExceeded(Logger, _method);
                return (StatusCode.DeadlineExceeded, "Deadline exceeded.");

            default:
                GrpcServerLog.UnhandledException(Logger, _method, exception);
                return (StatusCode.Unknown, Options.EnableDetailedErrors
                    ? $"Exception was thrown by handler. {exception.GetType().Name}: {exception.Message}"
                    : "Exception was thrown by handler.");
        }
    }
}

using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SlmCluster.Grpc.Protocol;

namespace SlmCluster.Grpc.Server;

internal sealed class UnaryServerCallHandler<TRequest, TResponse> : ServerCallHandler
    where TRequest : IMessage<TRequest>
    where TResponse : IMessage<TResponse>
{
    private readonly GrpcMethod<TRequest, TResponse> _method;
    private readonly Func<TRequest, ServerCallContext, Task<TResponse>> _handler;

    public UnaryServerCallHandler(
        GrpcMethod<TRequest, TResponse> method,
        Func<TRequest, ServerCallContext, Task<TResponse>> handler,
        GrpcServerOptions options,
        ILogger logger)
        : base(method.FullName, options, logger)
    {
        _method = method;
        _handler = handler;
    }

    protected override async Task HandleCoreAsync(HttpContext httpContext, ServerCallContext context)
    {
        var request = await ReadSingleRequestAsync(httpContext, _method.RequestParser, context.CancellationToken);
        var response = await _handler(request, context)
            ?? throw new InvalidOperationException($"The handler for {_method.FullName} returned no response message.");

        // A response finished after the deadline is one the client no longer waits for.
        context.CancellationToken.ThrowIfCancellationRequested();

        // Left unflushed: Kestrel sends it with the trailers when the call completes, in as few writes as it can.
        GrpcMessageWriter.Write(httpContext.Response.BodyWriter, response, Options.MaxSendMessageSize);
        context.ResponseStarted = true;
    }
}

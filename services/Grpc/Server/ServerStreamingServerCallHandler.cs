using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SlmCluster.Grpc.Server;

internal sealed class ServerStreamingServerCallHandler<TRequest, TResponse> : ServerCallHandler
    where TRequest : IMessage<TRequest>
    where TResponse : IMessage<TResponse>
{
    private readonly GrpcMethod<TRequest, TResponse> _method;
    private readonly Func<TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task> _handler;

    public ServerStreamingServerCallHandler(
        GrpcMethod<TRequest, TResponse> method,
        Func<TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler,
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
        var writer = new HttpResponseStreamWriter<TResponse>(httpContext.Response.BodyWriter, context, Options.MaxSendMessageSize);
        await _handler(request, writer, context);
    }
}

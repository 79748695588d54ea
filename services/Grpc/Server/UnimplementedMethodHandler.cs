using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SlmCluster.Grpc.Protocol;

namespace SlmCluster.Grpc.Server;

/// <summary>Answers calls to methods a mapped service does not have, as gRPC clients expect: UNIMPLEMENTED.</summary>
internal sealed class UnimplementedMethodHandler
{
    private readonly ILogger _logger;

    public UnimplementedMethodHandler(ILogger logger) => _logger = logger;

    public Task HandleCallAsync(HttpContext httpContext)
    {
        if (GrpcRequestValidation.TryAccept(httpContext, _logger))
        {
            var response = httpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = GrpcProtocol.ContentType;
            GrpcServerStatus.WriteTrailersOnly(response, StatusCode.Unimplemented, $"Method '{httpContext.Request.Path}' is unimplemented.", trailers: null);
        }

        return Task.CompletedTask;
    }
}

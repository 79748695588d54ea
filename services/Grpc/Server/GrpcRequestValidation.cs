using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SlmCluster.Grpc.Protocol;

namespace SlmCluster.Grpc.Server;

/// <summary>Checks that a request is a gRPC call this server can serve, and answers it when it is not.</summary>
internal static class GrpcRequestValidation
{
    public static bool TryAccept(HttpContext httpContext, ILogger logger)
    {
        var request = httpContext.Request;
        var response = httpContext.Response;

        // Trailers carry the status, and only HTTP/2 has them here.
        if (!HttpProtocol.IsHttp2(request.Protocol))
        {
            return Refuse(httpContext, logger, StatusCodes.Status426UpgradeRequired, $"Request protocol '{request.Protocol}' is not supported; gRPC requires HTTP/2.");
        }

        if (!HttpMethods.IsPost(request.Method))
        {
            response.Headers.Allow = "POST";
            return Refuse(httpContext, logger, StatusCodes.Status405MethodNotAllowed, $"Request method '{request.Method}' is not supported; gRPC calls are POST.");
        }

        if (!GrpcProtocol.IsGrpcContentType(request.ContentType))
        {
            return Refuse(httpContext, logger, StatusCodes.Status415UnsupportedMediaType, $"Content-Type '{request.ContentType}' is not supported; expected '{GrpcProtocol.ContentType}'.");
        }

        var encoding = request.Headers[GrpcProtocol.EncodingHeader].ToString();
        if (encoding.Length > 0 && !string.Equals(encoding, GrpcProtocol.IdentityEncoding, StringComparison.OrdinalIgnoreCase))
        {
            var detail = $"Message encoding '{encoding}' is not supported; this server accepts '{GrpcProtocol.IdentityEncoding}' only.";
            GrpcServerLog.RequestRefused(logger, request.Path, detail);
            response.ContentType = GrpcProtocol.ContentType;
            response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.IdentityEncoding;
            GrpcServerStatus.WriteTrailersOnly(response, StatusCode.Unimplemented, detail, trailers: null);
            return false;
        }

        return true;
    }

    private static bool Refuse(HttpContext httpContext, ILogger logger, int httpStatus, string detail)
    {
        GrpcServerLog.RequestRefused(logger, httpContext.Request.Path, detail);
        GrpcServerStatus.Refuse(httpContext.Response, httpStatus, detail);
        return false;
    }
}

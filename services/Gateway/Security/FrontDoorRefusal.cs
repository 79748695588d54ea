using System.Globalization;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using SlmCluster.Gateway.Api;
using SlmCluster.Gateway.Api.Ollama;
using SlmCluster.Gateway.Api.OpenAi;

namespace SlmCluster.Gateway.Security;

/// <summary>
/// A request refused before it reached its endpoint (no tenant, over a rate limit), answered as the front door it came
/// through answers its own errors: a gRPC status with a <c>retry-after</c> trailer, or an HTTP status with an OpenAI
/// error body (an Ollama one on the Ollama API) and a <c>Retry-After</c> header.
/// </summary>
internal static class FrontDoorRefusal
{
    public static Task WriteAsync(HttpContext context, StatusCode code, string message, TimeSpan? retryAfter)
    {
        var seconds = retryAfter is { } wait ? RetryAfterMetadata.Seconds(wait) : null;
        if (context.GetEndpoint()?.Metadata.GetMetadata<OllamaApiMetadata>() is not null)
        {
            var trailers = seconds is null ? [] : new Metadata { { RetryAfterMetadata.Key, seconds } };
            return OllamaProblem.From(new RpcException(new Status(code, message), trailers)).WriteAsync(context.Response);
        }

        if (context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is null)
        {
            var trailers = seconds is null ? [] : new Metadata { { RetryAfterMetadata.Key, seconds } };
            return OpenAiProblem.From(new RpcException(new Status(code, message), trailers)).WriteAsync(context.Response);
        }

        // A trailers-only response, as grpc-dotnet answers a call that fails before its first message: the status is
        // in the headers of an HTTP 200 with no body.
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)code).ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = PercentEncode(message);
        if (seconds is not null)
        {
            response.Headers[RetryAfterMetadata.Key] = seconds;
        }

        return Task.CompletedTask;
    }

    /// <summary>grpc-message is percent-encoded UTF-8; a message of printable ASCII without '%' goes as it is.</summary>
    internal static string PercentEncode(string message) =>
        message.All(c => c is >= ' ' and <= '~' and not '%') ? message : Uri.EscapeDataString(message);
}

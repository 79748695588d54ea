using SlmCluster.Gateway.Security;
using SlmCluster.Grpc;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>A failed OpenAI API request: the HTTP status, the OpenAI error body, and when to retry.</summary>
public sealed record OpenAiProblem(int Status, OpenAiError Error, string? RetryAfterSeconds = null)
{
    /// <summary>The HTTP answer to a status from the shared path (validation, routing, workers, auth, rate limits).</summary>
    public static OpenAiProblem From(RpcException e)
    {
        var status = GrpcStatusHttp.ToHttpStatus(e.StatusCode);
        var (type, code) = e.StatusCode switch
        {
            StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange => ("invalid_request_error", (string?)null),
            StatusCode.Unauthenticated => ("invalid_request_error", "invalid_api_key"),
            StatusCode.PermissionDenied => ("invalid_request_error", "permission_denied"),
            StatusCode.NotFound => ("invalid_request_error", "model_not_found"),
            StatusCode.ResourceExhausted => ("rate_limit_error", "rate_limit_exceeded"),
            StatusCode.Unavailable => ("server_error", "service_unavailable"),
            StatusCode.DeadlineExceeded => ("timeout_error", "timeout"),
            StatusCode.Cancelled => ("request_cancelled", (string?)null),
            _ => ("server_error", (string?)null),
        };

        var retryAfter = e.Trailers.Get(TenantRateLimiter.RetryAfterKey)
            ?? (e.StatusCode is StatusCode.ResourceExhausted or StatusCode.Unavailable ? "1" : null);
        return new OpenAiProblem(status, new OpenAiError
        {
            Message = e.Detail,
            Type = type,
            Param = e.StatusCode == StatusCode.NotFound ? "model" : null,
            Code = code,
        }, retryAfter);
    }

    public static OpenAiProblem From(InvalidOpenAiRequestException e) =>
        new(e.Status, new OpenAiError { Message = e.Message, Type = "invalid_request_error", Param = e.Param, Code = e.Code });

    /// <summary>Writes the error as the whole response; the response must not have started.</summary>
    public Task WriteAsync(HttpResponse response)
    {
        response.StatusCode = Status;
        if (RetryAfterSeconds is not null)
        {
            response.Headers.RetryAfter = RetryAfterSeconds;
        }

        if (Status == StatusCodes.Status401Unauthorized)
        {
            response.Headers.WWWAuthenticate = "Bearer";
        }

        return response.WriteAsJsonAsync(Body, OpenAiJsonContext.Api.OpenAiErrorResponse);
    }

    public OpenAiErrorResponse Body => new() { Error = Error };
}

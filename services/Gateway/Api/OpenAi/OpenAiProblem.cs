using Grpc.Core;

using SlmCluster.Gateway.Serving;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>A failed OpenAI API request: the HTTP status, the OpenAI error body, and when to retry.</summary>
public sealed record OpenAiProblem(int Status, OpenAiError Error, string? RetryAfterSeconds = null)
{
    /// <summary>The HTTP answer to a status from the shared path (validation, routing, workers, auth, rate limits).</summary>
    public static OpenAiProblem From(RpcException e)
    {
        var status = ToHttpStatus(e.StatusCode);
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

        var retryAfter = e.Trailers.GetValue(RetryAfterMetadata.Key)
            ?? (e.StatusCode is StatusCode.ResourceExhausted or StatusCode.Unavailable ? "1" : null);
        return new OpenAiProblem(status, new OpenAiError
        {
            Message = e.Status.Detail,
            Type = type,
            Param = e is InvalidRequestException invalid ? invalid.Param : e.StatusCode == StatusCode.NotFound ? "model" : null,
            Code = code,
        }, retryAfter);
    }

    /// <summary>The HTTP status the OpenAI API answers for a status of the shared path.</summary>
    internal static int ToHttpStatus(StatusCode code) => code switch
    {
        StatusCode.OK => StatusCodes.Status200OK,
        StatusCode.Cancelled => 499, // the client closed the request
        StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange => StatusCodes.Status400BadRequest,
        StatusCode.Unauthenticated => StatusCodes.Status401Unauthorized,
        StatusCode.PermissionDenied => StatusCodes.Status403Forbidden,
        StatusCode.NotFound => StatusCodes.Status404NotFound,
        StatusCode.AlreadyExists or StatusCode.Aborted => StatusCodes.Status409Conflict,
        StatusCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
        StatusCode.Unimplemented => StatusCodes.Status501NotImplemented,
        StatusCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
        StatusCode.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        _ => StatusCodes.Status500InternalServerError,
    };

    public static OpenAiProblem From(InvalidOpenAiRequestException e) =>
        new(e.Status, new OpenAiError { Message = e.Message, Type = "invalid_request_error", Param = e.Param, Code = e.Code });

    /// <summary>Writes the error as the whole response; the response must not have started.</summary>
    /// <summary>The answer to a refusal of the body or of the shared path; null for any other exception.</summary>
    public static OpenAiProblem? Of(Exception e) => e switch
    {
        InvalidOpenAiRequestException body => From(body),
        RpcException rpc => From(rpc),
        _ => null,
    };

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

using Grpc.Core;
using SlmCluster.Gateway.Api.OpenAi;

namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>A failed Ollama API request: the HTTP status, Ollama's <c>{"error"}</c> body, and when to retry.</summary>
public sealed record OllamaProblem(int Status, string Message, string? RetryAfterSeconds = null)
{
    /// <summary>The answer to a status of the shared path (validation, routing, workers, auth, rate limits), with the OpenAI API's HTTP statuses.</summary>
    public static OllamaProblem From(RpcException e) => new(
        OpenAiProblem.ToHttpStatus(e.StatusCode),
        e.Status.Detail,
        e.Trailers.GetValue(RetryAfterMetadata.Key) ?? (e.StatusCode is StatusCode.ResourceExhausted or StatusCode.Unavailable ? "1" : null));

    public static OllamaProblem From(InvalidOllamaRequestException e) => new(e.Status, e.Message);

    /// <summary>A body the shared reader refused (empty, not UTF-8, not JSON, the wrong type, too large).</summary>
    public static OllamaProblem From(InvalidOpenAiRequestException e) => new(e.Status, e.Message);

    /// <summary>The answer to a refusal of the body, the Ollama mapping or the shared path; null for any other exception.</summary>
    public static OllamaProblem? Of(Exception e) => e switch
    {
        InvalidOllamaRequestException invalid => From(invalid),
        InvalidOpenAiRequestException body => From(body),
        RpcException rpc => From(rpc),
        _ => null,
    };

    public OllamaErrorResponse Body => new() { Error = Message };

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

        return response.WriteAsJsonAsync(Body, OllamaJsonContext.Api.OllamaErrorResponse);
    }
}

using System.Text.Json;
using Grpc.Core;
using SlmCluster.Gateway.Api.OpenAi;

namespace SlmCluster.UnitTests.Gateway;

public sealed class OpenAiProblemTests
{
    [Theory]
    [InlineData(StatusCode.InvalidArgument, 400, "invalid_request_error", null)]
    [InlineData(StatusCode.Unauthenticated, 401, "invalid_request_error", "invalid_api_key")]
    [InlineData(StatusCode.NotFound, 404, "invalid_request_error", "model_not_found")]
    [InlineData(StatusCode.ResourceExhausted, 429, "rate_limit_error", "rate_limit_exceeded")]
    [InlineData(StatusCode.Unavailable, 503, "server_error", "service_unavailable")]
    [InlineData(StatusCode.DeadlineExceeded, 504, "timeout_error", "timeout")]
    [InlineData(StatusCode.Internal, 500, "server_error", null)]
    public void A_gRPC_status_becomes_the_HTTP_status_and_error_type_OpenAI_clients_expect(StatusCode code, int status, string type, string? errorCode)
    {
        var problem = OpenAiProblem.From(new RpcException(new Status(code, "what to change")));

        Assert.Equal(status, problem.Status);
        Assert.Equal(type, problem.Error.Type);
        Assert.Equal(errorCode, problem.Error.Code);
        Assert.Equal("what to change", problem.Error.Message);
    }

    [Fact]
    public void Retry_after_comes_from_the_rate_limiters_trailer_else_one_second_for_busy_or_unavailable()
    {
        var limited = OpenAiProblem.From(new RpcException(new Status(StatusCode.ResourceExhausted, "slow down"), new Metadata { { "retry-after", "17" } }));

        Assert.Equal("17", limited.RetryAfterSeconds);
        Assert.Equal("1", OpenAiProblem.From(new RpcException(new Status(StatusCode.Unavailable, "x"))).RetryAfterSeconds);
        Assert.Null(OpenAiProblem.From(new RpcException(new Status(StatusCode.InvalidArgument, "x"))).RetryAfterSeconds);
    }

    [Fact]
    public void The_error_body_always_has_param_and_code_even_when_null()
    {
        var problem = OpenAiProblem.From(new InvalidOpenAiRequestException("bad"));

        var json = JsonSerializer.Serialize(problem.Body, OpenAiJsonContext.Api.OpenAiErrorResponse);

        Assert.Equal("""{"error":{"message":"bad","type":"invalid_request_error","param":null,"code":null}}""", json);
    }

    [Fact]
    public void An_unknown_model_names_the_model_param()
    {
        Assert.Equal("model", OpenAiProblem.From(new RpcException(new Status(StatusCode.NotFound, "x"))).Error.Param);
    }
}

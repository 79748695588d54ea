using SlmCluster.Grpc;
using Xunit;

namespace SlmCluster.UnitTests.Grpc;

public sealed class GrpcStatusHttpTests
{
    [Theory]
    [InlineData(400, StatusCode.Internal)]
    [InlineData(401, StatusCode.Unauthenticated)]
    [InlineData(403, StatusCode.PermissionDenied)]
    [InlineData(404, StatusCode.Unimplemented)]
    [InlineData(429, StatusCode.Unavailable)]
    [InlineData(502, StatusCode.Unavailable)]
    [InlineData(503, StatusCode.Unavailable)]
    [InlineData(504, StatusCode.Unavailable)]
    [InlineData(500, StatusCode.Unknown)]
    [InlineData(418, StatusCode.Unknown)]
    public void Http_status_of_a_non_grpc_response_maps_per_the_spec(int httpStatus, StatusCode expected)
    {
        Assert.Equal(expected, GrpcStatusHttp.FromHttpStatus(httpStatus));
    }

    [Theory]
    [InlineData(StatusCode.OK, 200)]
    [InlineData(StatusCode.InvalidArgument, 400)]
    [InlineData(StatusCode.Unauthenticated, 401)]
    [InlineData(StatusCode.PermissionDenied, 403)]
    [InlineData(StatusCode.NotFound, 404)]
    [InlineData(StatusCode.ResourceExhausted, 429)]
    [InlineData(StatusCode.Cancelled, 499)]
    [InlineData(StatusCode.Internal, 500)]
    [InlineData(StatusCode.Unimplemented, 501)]
    [InlineData(StatusCode.Unavailable, 503)]
    [InlineData(StatusCode.DeadlineExceeded, 504)]
    public void Grpc_status_maps_to_the_http_status_an_http_api_answers(StatusCode code, int expected)
    {
        Assert.Equal(expected, GrpcStatusHttp.ToHttpStatus(code));
    }

    [Theory]
    [InlineData(0x0, StatusCode.Internal)]
    [InlineData(0x1, StatusCode.Internal)]
    [InlineData(0x2, StatusCode.Internal)]
    [InlineData(0x7, StatusCode.Unavailable)]
    [InlineData(0x8, StatusCode.Cancelled)]
    [InlineData(0xB, StatusCode.ResourceExhausted)]
    [InlineData(0xC, StatusCode.PermissionDenied)]
    public void Http2_reset_codes_map_per_the_spec(long errorCode, StatusCode expected)
    {
        Assert.Equal(expected, GrpcStatusHttp.FromHttp2ErrorCode(errorCode));
    }
}

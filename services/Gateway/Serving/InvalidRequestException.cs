using Grpc.Core;

namespace SlmCluster.Gateway.Serving;

/// <summary>INVALID_ARGUMENT for a request the rules refuse; it keeps the field at fault for the APIs that name it.</summary>
public sealed class InvalidRequestException(RequestProblem problem) : RpcException(new Status(StatusCode.InvalidArgument, problem.Message))
{
    public string Param { get; } = problem.Param;
}

namespace SlmCluster.Grpc;

public enum GrpcMethodType
{
    Unary,
    ServerStreaming,
}

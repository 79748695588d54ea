namespace SlmCluster.Grpc;

/// <summary>A call that ended with a status other than OK; thrown by clients and by server handlers alike.</summary>
public sealed class RpcException : Exception
{
    public RpcException(StatusCode code, string detail, Metadata? trailers = null)
        : this(code, detail, trailers, innerException: null)
    {
    }

    internal RpcException(StatusCode code, string detail, Metadata? trailers, Exception? innerException)
        : base($"Status(StatusCode=\"{code}\", Detail=\"{detail}\")", innerException)
    {
        StatusCode = code;
        Detail = detail ?? string.Empty;
        Trailers = trailers ?? new Metadata();
    }

    public StatusCode StatusCode { get; }

    public string Detail { get; }

    public Metadata Trailers { get; }
}

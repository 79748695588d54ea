using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using SlmCluster.Grpc.Protocol;

namespace SlmCluster.Grpc;

/// <summary>What a handler knows about the call it is serving.</summary>
public sealed class ServerCallContext
{
    private Metadata? _requestHeaders;
    private Metadata? _responseTrailers;
    private string? _peer;

    internal ServerCallContext(HttpContext httpContext, string method, DateTime? deadline, CancellationToken cancellationToken)
    {
        HttpContext = httpContext;
        Method = method;
        Deadline = deadline;
        CancellationToken = cancellationToken;
    }

    /// <summary>The full method path, e.g. <c>/slm.v1.Inference/Generate</c>.</summary>
    public string Method { get; }

    /// <summary>When the client stops waiting (UTC), from <c>grpc-timeout</c>; null when it sent none.</summary>
    public DateTime? Deadline { get; }

    /// <summary>Fires when the client cancels or disconnects, or when the deadline passes.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The client's custom metadata (protocol headers such as content-type and grpc-timeout left out).</summary>
    public Metadata RequestHeaders => _requestHeaders ??= ReadRequestHeaders(HttpContext.Request.Headers);

    /// <summary>Custom trailers sent with the status, whether the call succeeds or fails.</summary>
    public Metadata ResponseTrailers => _responseTrailers ??= new Metadata();

    public HttpContext HttpContext { get; }

    /// <summary>The client's address, as gRPC names it: <c>ipv4:127.0.0.1:5000</c> or <c>ipv6:[::1]:5000</c>.</summary>
    public string Peer => _peer ??= FormatPeer(HttpContext.Connection.RemoteIpAddress, HttpContext.Connection.RemotePort);

    /// <summary>Set once the first response message has been written: the status then goes in trailers.</summary>
    internal bool ResponseStarted { get; set; }

    /// <summary>The handler ended the call with its last message (OK already sent); what it does afterwards stays here.</summary>
    internal bool EndedEarly { get; set; }

    internal Metadata? ResponseTrailersOrNull => _responseTrailers;

    private static Metadata ReadRequestHeaders(IHeaderDictionary headers)
    {
        var metadata = new Metadata();
        foreach (var header in headers)
        {
            if (GrpcProtocol.IsReservedHeader(header.Key))
            {
                continue;
            }

            foreach (var value in header.Value)
            {
                if (value is not null)
                {
                    metadata.AddFromWire(header.Key, value);
                }
            }
        }

        return metadata;
    }

    private static string FormatPeer(IPAddress? address, int port) => address switch
    {
        null => "unknown",
        { IsIPv4MappedToIPv6: true } => $"ipv4:{address.MapToIPv4()}:{port}",
        { AddressFamily: AddressFamily.InterNetworkV6 } => $"ipv6:[{address}]:{port}",
        _ => $"ipv4:{address}:{port}",
    };
}

using System.Globalization;
using Microsoft.AspNetCore.Http;
using SlmCluster.Grpc.Protocol;

namespace SlmCluster.Grpc.Server;

/// <summary>Ends a call with its status, in trailers or, when nothing was sent yet, as a Trailers-Only response.</summary>
internal static class GrpcServerStatus
{
    private static readonly string[] StatusValues =
        Enumerable.Range(0, (int)StatusCode.Unauthenticated + 1).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>
    /// Puts the status in the response headers. Returning from the request delegate without a body then makes
    /// Kestrel send them as the stream's only HEADERS frame, with END_STREAM.
    /// </summary>
    public static void WriteTrailersOnly(HttpResponse response, StatusCode code, string detail, Metadata? trailers)
    {
        var headers = response.Headers;
        headers[GrpcProtocol.StatusHeader] = FormatStatus(code);
        if (!string.IsNullOrEmpty(detail))
        {
            headers[GrpcProtocol.MessageHeader] = GrpcStatusMessage.Encode(detail);
        }

        if (trailers is not null)
        {
            foreach (var (key, value) in trailers)
            {
                headers.Append(key, value);
            }
        }
    }

    public static void WriteTrailers(HttpResponse response, StatusCode code, string detail, Metadata? trailers)
    {
        response.AppendTrailer(GrpcProtocol.StatusHeader, FormatStatus(code));
        if (!string.IsNullOrEmpty(detail))
        {
            response.AppendTrailer(GrpcProtocol.MessageHeader, GrpcStatusMessage.Encode(detail));
        }

        if (trailers is not null)
        {
            foreach (var (key, value) in trailers)
            {
                response.AppendTrailer(key, value);
            }
        }
    }

    /// <summary>Refuses a request that is not gRPC at the HTTP level, with the status a gRPC client can still read.</summary>
    public static void Refuse(HttpResponse response, int httpStatus, string detail)
    {
        response.StatusCode = httpStatus;
        WriteTrailersOnly(response, StatusCode.Internal, detail, trailers: null);
    }

    private static string FormatStatus(StatusCode code) =>
        (uint)code < (uint)StatusValues.Length ? StatusValues[(int)code] : ((int)code).ToString(CultureInfo.InvariantCulture);
}

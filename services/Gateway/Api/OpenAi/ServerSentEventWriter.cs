using System.IO.Pipelines;
using System.Text;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>
/// Writes the OpenAI stream: each event a <c>data: {json}\n\n</c> flushed at once, the end <c>data: [DONE]\n\n</c>,
/// and a failure after the stream started as <c>event: error\ndata: {"error":...}\n\n</c>.
/// </summary>
internal sealed class ServerSentEventWriter(PipeWriter output)
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] ErrorPrefix = "event: error\ndata: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    /// <summary>Sets the headers of an event stream that no proxy should buffer or cache.</summary>
    public static void Start(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        response.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    /// <summary>One event's bytes. JSON from the serializer has no raw newlines, so one <c>data:</c> line holds it.</summary>
    public static byte[] Format(ReadOnlySpan<byte> json, bool isError = false)
    {
        var prefix = isError ? ErrorPrefix : DataPrefix;
        var bytes = new byte[prefix.Length + json.Length + EventEnd.Length];
        prefix.CopyTo(bytes, 0);
        json.CopyTo(bytes.AsSpan(prefix.Length));
        EventEnd.CopyTo(bytes, prefix.Length + json.Length);
        return bytes;
    }

    public static string DoneEvent => Encoding.UTF8.GetString(Done);

    public async ValueTask WriteAsync(byte[] json, CancellationToken cancellationToken) =>
        await output.WriteAsync(Format(json), cancellationToken);

    public async ValueTask WriteErrorAsync(byte[] json, CancellationToken cancellationToken) =>
        await output.WriteAsync(Format(json, isError: true), cancellationToken);

    public async ValueTask WriteDoneAsync(CancellationToken cancellationToken) =>
        await output.WriteAsync(Done, cancellationToken);
}

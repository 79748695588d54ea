using System.Buffers.Binary;
using System.Net.Sockets;
using Google.Protobuf;
using SlmCluster.Grpc.Transport;

namespace SlmCluster.UnitTests.Grpc;

/// <summary>
/// Frames written and read by hand over a real socket, to drive a server into the corners a well-behaved client
/// never reaches (protocol errors, limits, timeouts).
/// </summary>
internal sealed class RawHttp2Client : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly HpackDecoder _decoder = new();
    private byte[] _buffer = new byte[64 * 1024];
    private int _filled;

    private RawHttp2Client(Socket socket) => _socket = socket;

    public sealed record Frame(byte Type, byte Flags, int StreamId, byte[] Payload)
    {
        public uint ErrorCode => Type switch
        {
            Http2Frame.RstStream => BinaryPrimitives.ReadUInt32BigEndian(Payload),
            Http2Frame.GoAway => BinaryPrimitives.ReadUInt32BigEndian(Payload.AsSpan(4)),
            _ => throw new InvalidOperationException($"Frame type {Type} carries no error code."),
        };
    }

    /// <summary>Connects; with <paramref name="handshake"/>, sends the preface and an empty SETTINGS.</summary>
    public static async Task<RawHttp2Client> ConnectAsync(Uri address, bool handshake = true)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(address.Host, address.Port);
        var client = new RawHttp2Client(socket);
        if (handshake)
        {
            await client.SendAsync([.. Http2Frame.Preface]);
            await client.SendFrameAsync(Http2Frame.Settings, 0, 0, []);
        }

        return client;
    }

    public async Task SendAsync(byte[] bytes) => await _socket.SendAsync(bytes, SocketFlags.None);

    public Task SendFrameAsync(byte type, byte flags, int streamId, byte[] payload)
    {
        var frame = new byte[Http2Frame.HeaderSize + payload.Length];
        Http2Frame.WriteHeader(frame, payload.Length, type, flags, streamId);
        payload.CopyTo(frame, Http2Frame.HeaderSize);
        return SendAsync(frame);
    }

    /// <summary>A gRPC request's HEADERS for <paramref name="path"/> (and DATA with the message, ending the stream, when given).</summary>
    public async Task SendCallAsync(int streamId, string path, IMessage? message, params (string Name, string Value)[] extra)
    {
        var block = new List<byte>();
        HpackEncoder.WriteIndexed(block, HpackStaticTable.MethodPost);
        HpackEncoder.WriteIndexed(block, HpackStaticTable.SchemeHttp);
        HpackEncoder.WriteLiteral(block, HpackStaticTable.PathName, path);
        HpackEncoder.WriteLiteral(block, HpackStaticTable.AuthorityName, "localhost");
        HpackEncoder.WriteLiteral(block, HpackStaticTable.ContentTypeName, "application/grpc");
        HpackEncoder.WriteLiteral(block, "te", "trailers");
        foreach (var (name, value) in extra)
        {
            HpackEncoder.WriteLiteral(block, name, value);
        }

        await SendFrameAsync(Http2Frame.Headers, (byte)(Http2Frame.EndHeaders | (message is null ? Http2Frame.EndStream : 0)), streamId, [.. block]);
        if (message is not null)
        {
            var bytes = message.ToByteArray();
            var data = new byte[5 + bytes.Length];
            BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(1), bytes.Length);
            bytes.CopyTo(data, 5);
            await SendFrameAsync(Http2Frame.Data, Http2Frame.EndStream, streamId, data);
        }
    }

    /// <summary>The next frame, or null when the server closed the connection.</summary>
    public async Task<Frame?> ReadFrameAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            if (_filled >= Http2Frame.HeaderSize)
            {
                var (length, type, flags, streamId) = Http2Frame.ReadHeader(_buffer);
                if (_filled >= Http2Frame.HeaderSize + length)
                {
                    var payload = _buffer.AsSpan(Http2Frame.HeaderSize, length).ToArray();
                    _buffer.AsSpan(Http2Frame.HeaderSize + length, _filled - Http2Frame.HeaderSize - length).CopyTo(_buffer);
                    _filled -= Http2Frame.HeaderSize + length;
                    return new Frame(type, flags, streamId, payload);
                }

                if (Http2Frame.HeaderSize + length > _buffer.Length)
                {
                    Array.Resize(ref _buffer, Http2Frame.HeaderSize + length);
                }
            }

            int read;
            try
            {
                read = await _socket.ReceiveAsync(_buffer.AsMemory(_filled), SocketFlags.None, deadline.Token);
            }
            catch (SocketException)
            {
                return null; // reset by the server: closed as well
            }

            if (read == 0)
            {
                return null;
            }

            _filled += read;
        }
    }

    /// <summary>Reads until a frame matching <paramref name="match"/>; fails on the connection closing first or the timeout.</summary>
    public async Task<Frame> ReadUntilAsync(Func<Frame, bool> match, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var frame = await ReadFrameAsync(until - DateTime.UtcNow) ?? throw new IOException("The server closed the connection first.");
            if (match(frame))
            {
                return frame;
            }
        }
    }

    /// <summary>Reads until the server closes the connection; the frames it sent on the way.</summary>
    public async Task<List<Frame>> ReadToEndAsync(TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        var frames = new List<Frame>();
        while (await ReadFrameAsync(until - DateTime.UtcNow) is { } frame)
        {
            frames.Add(frame);
        }

        return frames;
    }

    /// <summary>Decodes a header block the server sent (every block must go through, in order, for the table to stay right).</summary>
    public List<(string Name, string Value)> Decode(Frame headers) => _decoder.Decode(headers.Payload);

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

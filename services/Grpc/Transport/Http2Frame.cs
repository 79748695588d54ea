using System.Buffers.Binary;

namespace SlmCluster.Grpc.Transport;

/// <summary>HTTP/2 frame layout and codes (RFC 9113, sections 4, 6, 7) as the client and the server use them.</summary>
internal static class Http2Frame
{
    public const int HeaderSize = 9;
    public const int DefaultMaxFrameSize = 16384;
    public const int DefaultWindowSize = 65535;

    public static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    // Frame types.
    public const byte Data = 0x0;
    public const byte Headers = 0x1;
    public const byte Priority = 0x2;
    public const byte RstStream = 0x3;
    public const byte Settings = 0x4;
    public const byte PushPromise = 0x5;
    public const byte Ping = 0x6;
    public const byte GoAway = 0x7;
    public const byte WindowUpdate = 0x8;
    public const byte Continuation = 0x9;

    // Flags.
    public const byte EndStream = 0x1;
    public const byte Ack = 0x1;
    public const byte EndHeaders = 0x4;
    public const byte Padded = 0x8;
    public const byte PriorityFlag = 0x20;

    // Settings.
    public const ushort SettingsHeaderTableSize = 0x1;
    public const ushort SettingsEnablePush = 0x2;
    public const ushort SettingsMaxConcurrentStreams = 0x3;
    public const ushort SettingsInitialWindowSize = 0x4;
    public const ushort SettingsMaxFrameSize = 0x5;
    public const ushort SettingsMaxHeaderListSize = 0x6;

    // Error codes.
    public const uint NoError = 0x0;
    public const uint ProtocolError = 0x1;
    public const uint InternalError = 0x2;
    public const uint FlowControlError = 0x3;
    public const uint StreamClosed = 0x5;
    public const uint FrameSizeError = 0x6;
    public const uint RefusedStream = 0x7;
    public const uint Cancel = 0x8;
    public const uint CompressionError = 0x9;
    public const uint EnhanceYourCalm = 0xB;

    public static void WriteHeader(Span<byte> destination, int length, byte type, byte flags, int streamId)
    {
        destination[0] = (byte)(length >> 16);
        destination[1] = (byte)(length >> 8);
        destination[2] = (byte)length;
        destination[3] = type;
        destination[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(destination[5..], streamId & int.MaxValue);
    }

    public static (int Length, byte Type, byte Flags, int StreamId) ReadHeader(ReadOnlySpan<byte> source) =>
        ((source[0] << 16) | (source[1] << 8) | source[2], source[3], source[4], BinaryPrimitives.ReadInt32BigEndian(source[5..]) & int.MaxValue);

    /// <summary>HTTP/1.1's connection-specific fields, which HTTP/2 forbids (Host travels as :authority).</summary>
    public static bool IsConnectionSpecific(string name) =>
        name.Equals("Host", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Proxy-Connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase);

    /// <summary>The name of an error code, for messages.</summary>
    public static string ErrorName(long code) => code switch
    {
        0x0 => "NO_ERROR",
        0x1 => "PROTOCOL_ERROR",
        0x2 => "INTERNAL_ERROR",
        0x3 => "FLOW_CONTROL_ERROR",
        0x4 => "SETTINGS_TIMEOUT",
        0x5 => "STREAM_CLOSED",
        0x6 => "FRAME_SIZE_ERROR",
        0x7 => "REFUSED_STREAM",
        0x8 => "CANCEL",
        0x9 => "COMPRESSION_ERROR",
        0xA => "CONNECT_ERROR",
        0xB => "ENHANCE_YOUR_CALM",
        0xC => "INADEQUATE_SECURITY",
        0xD => "HTTP_1_1_REQUIRED",
        _ => $"0x{code:X}",
    };
}

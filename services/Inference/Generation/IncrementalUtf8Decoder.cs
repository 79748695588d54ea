using System.Text;

namespace SlmCluster.Inference;

/// <summary>
/// Turns token bytes into text as they arrive. A token may end in the middle of a multi-byte UTF-8 character
/// (byte-fallback vocabularies split emoji and CJK characters across tokens), so incomplete trailing bytes are
/// carried over to the next token instead of becoming U+FFFD.
/// </summary>
internal sealed class IncrementalUtf8Decoder
{
    private readonly Decoder _decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private char[] _chars = new char[64];

    /// <summary>Adds bytes; returns the text of every character they complete (maybe "").</summary>
    public string Append(ReadOnlySpan<byte> bytes) => Decode(bytes, flush: false);

    /// <summary>Ends the stream: bytes of an unfinished character come out as U+FFFD.</summary>
    public string Flush() => Decode([], flush: true);

    /// <summary>
    /// Whether bytes of an unfinished character are carried over (they come out with the next bytes, or as U+FFFD on
    /// <see cref="Flush"/>). Asking does not change the state.
    /// </summary>
    public bool HasPendingBytes => _decoder.GetCharCount([], flush: true) > 0;

    /// <summary>Forgets carried-over bytes.</summary>
    public void Reset() => _decoder.Reset();

    private string Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        // Each byte yields at most one char, plus up to two for bytes carried over from the last call.
        int capacity = bytes.Length + 4;
        if (_chars.Length < capacity)
        {
            _chars = new char[Math.Max(capacity, _chars.Length * 2)];
        }
        int written = _decoder.GetChars(bytes, _chars, flush);
        return written == 0 ? "" : new string(_chars, 0, written);
    }
}

using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using SlmCluster.Inference.Native;

namespace SlmCluster.Inference;

/// <summary>
/// The characters a SentencePiece-style vocabulary without the 256 byte tokens can encode. Such a vocabulary falls
/// back to byte tokens for a character it lacks, and llama.cpp, finding none, throws a C++ exception through its C API
/// — which ends the process. A prompt with such a character is refused here instead, naming it.
/// </summary>
internal sealed class SentencePieceCoverage
{
    private const int SentencePieceVocabulary = 1;
    private const char SpaceMarker = '\u2581';
    private readonly HashSet<string> _pieces;

    private SentencePieceCoverage(HashSet<string> pieces) => _pieces = pieces;

    /// <summary>Null when the vocabulary encodes any text: not SentencePiece-style, or it has every byte token.</summary>
    public static unsafe SentencePieceCoverage? For(IntPtr vocab)
    {
        if (LlamaApi.llama_vocab_type(vocab) != SentencePieceVocabulary)
        {
            return null;
        }

        var pieces = new HashSet<string>(StringComparer.Ordinal);
        var count = LlamaApi.llama_vocab_n_tokens(vocab);
        for (var token = 0; token < count; token++)
        {
            var text = LlamaApi.llama_vocab_get_text(vocab, token);
            if (text is not null)
            {
                pieces.Add(Marshal.PtrToStringUTF8((IntPtr)text) ?? "");
            }
        }

        for (var b = 0; b < 256; b++)
        {
            if (!pieces.Contains(ByteToken(b)))
            {
                return new SentencePieceCoverage(pieces);
            }
        }

        return null;
    }

    /// <exception cref="InferenceException">A character of <paramref name="text"/> has no token and no byte tokens to fall back on.</exception>
    public void ThrowIfUnencodable(string text, string modelName)
    {
        for (var i = 0; i < text.Length;)
        {
            var rune = Rune.GetRuneAt(text, i);
            var piece = rune.Value == ' ' ? SpaceMarker.ToString() : rune.ToString();
            if (!_pieces.Contains(piece))
            {
                throw new InferenceException(InferenceErrorKind.InvalidArgument,
                    $"the text holds '{rune}' (U+{rune.Value:X4}) at position {i}, which the vocabulary of model '{modelName}' cannot encode " +
                    "(it has no token for it and no byte tokens to fall back on); remove or replace it");
            }

            i += rune.Utf16SequenceLength;
        }
    }

    private static string ByteToken(int b) => string.Create(CultureInfo.InvariantCulture, $"<0x{b:X2}>");
}

using System.Text;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>Token logprobs from the wire contract in the two shapes of the OpenAI API.</summary>
internal static class OpenAiLogprobs
{
    /// <summary>What OpenAI writes for a probability too small to represent (JSON has no infinity).</summary>
    public const float Unrepresentable = -9999f;

    /// <summary>Chat completions' <c>{"content": [...]}</c>.</summary>
    public static ChatCompletionLogprobs Chat(IReadOnlyList<TokenLogprob>? entries)
    {
        if (entries is not { Count: > 0 })
        {
            return new ChatCompletionLogprobs { Content = [] };
        }

        var content = new ChatTokenLogprob[entries.Count];
        for (var i = 0; i < content.Length; i++)
        {
            var entry = entries[i];
            var top = entry.TopLogprobs.Count == 0 ? [] : new ChatTopLogprob[entry.TopLogprobs.Count];
            for (var j = 0; j < top.Length; j++)
            {
                var alternative = entry.TopLogprobs[j];
                top[j] = new ChatTopLogprob { Token = alternative.Token, Logprob = Finite(alternative.Logprob), Bytes = alternative.Bytes.ToByteArray() };
            }

            content[i] = new ChatTokenLogprob { Token = entry.Token, Logprob = Finite(entry.Logprob), Bytes = entry.Bytes.ToByteArray(), TopLogprobs = top };
        }

        return new ChatCompletionLogprobs { Content = content };
    }

    /// <summary>
    /// Legacy completions' parallel lists. <paramref name="offsets"/> follows the text across the chunks of one
    /// completion, so a stream's offsets count from the completion's start.
    /// </summary>
    public static TextCompletionLogprobs Text(IReadOnlyList<TokenLogprob>? entries, TextOffsets offsets)
    {
        var count = entries?.Count ?? 0;
        var tokens = new string[count];
        var logprobs = new float[count];
        var top = new Dictionary<string, float>[count];
        var textOffset = new int[count];
        for (var i = 0; i < count; i++)
        {
            var entry = entries![i];
            tokens[i] = entry.Token;
            logprobs[i] = Finite(entry.Logprob);
            var choices = new Dictionary<string, float>(entry.TopLogprobs.Count + 1, StringComparer.Ordinal);
            foreach (var alternative in entry.TopLogprobs)
            {
                // Two tokens can share a text (parts of different characters both show U+FFFD): the likelier one stays.
                choices.TryAdd(alternative.Token, Finite(alternative.Logprob));
            }

            // OpenAI's "up to logprobs + 1": the chosen token is always there.
            choices.TryAdd(entry.Token, Finite(entry.Logprob));
            top[i] = choices;
            textOffset[i] = offsets.Advance(entry.Bytes.Span);
        }

        return new TextCompletionLogprobs { Tokens = tokens, TokenLogprobs = logprobs, TopLogprobs = top, TextOffset = textOffset };
    }

    private static float Finite(float logprob) => float.IsFinite(logprob) ? logprob : Unrepresentable;

    /// <summary>
    /// Where each token's text starts in the completion: its bytes decoded in sequence, so a character split across
    /// tokens counts once, where it starts.
    /// </summary>
    public sealed class TextOffsets
    {
        private readonly Decoder _decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
        private char[] _scratch = new char[32];
        private int _position;

        /// <summary>The offset of a token's text, then moves past it.</summary>
        public int Advance(ReadOnlySpan<byte> bytes)
        {
            var start = _position;
            if (_scratch.Length < bytes.Length + 4)
            {
                _scratch = new char[bytes.Length + 4];
            }

            _position += _decoder.GetChars(bytes, _scratch, flush: false);
            return start;
        }
    }
}

using System.Runtime.CompilerServices;
using SlmCluster.Client;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Serving.Tools;

/// <summary>
/// Turns the text of an answer to a request with tools into tool calls, chunk by chunk: the calls' pieces replace the
/// text that wrote them, and an answer that made calls and stopped finishes with <see cref="FinishReason.ToolCalls"/>.
/// Under <see cref="ToolChoiceKind.Auto"/> the answer is text unless it opens as a call does; the text that could
/// still be a call's opening is held until it is known which.
/// </summary>
public sealed class ToolCallReader
{
    private readonly ToolCallSyntax _syntax;
    private readonly bool _callsOnly;

    internal ToolCallReader(ToolCallSyntax syntax, bool callsOnly)
    {
        _syntax = syntax;
        _callsOnly = callsOnly;
    }

    /// <summary>Whether the answer must be calls (a required or named tool choice), not text.</summary>
    public bool CallsOnly => _callsOnly;

    /// <summary>
    /// The calls of a whole answer's text, for a judge that holds it; null for a text answer (only where the model may
    /// choose text). <c>Complete</c> is false when the text left the format or ended inside a call.
    /// </summary>
    public (IReadOnlyList<ToolCall>? Calls, bool Complete) ReadWhole(string text)
    {
        if (!_callsOnly && !text.StartsWith(_syntax.Start, StringComparison.Ordinal))
        {
            return (null, true);
        }

        var scanner = new ToolCallScanner(_syntax);
        var pieces = new ToolCallPieces();
        pieces.Add(scanner.Read(text));
        return (pieces.Calls, scanner.Complete);
    }

    public async IAsyncEnumerable<GenerateChunk> ReadAsync(IAsyncEnumerable<GenerateChunk> chunks,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var scanner = new ToolCallScanner(_syntax);
        // Null until the answer is known to be calls (true) or text (false).
        bool? calls = _callsOnly ? true : null;
        var held = "";
        await foreach (var next in chunks.WithCancellation(cancellationToken))
        {
            var chunk = next;
            if (calls is null)
            {
                held += chunk.Text;
                if (held.Length >= _syntax.Start.Length || !_syntax.Start.StartsWith(held, StringComparison.Ordinal) || chunk.Usage is not null)
                {
                    calls = held.StartsWith(_syntax.Start, StringComparison.Ordinal);
                }

                if (calls is null)
                {
                    if (chunk.Logprobs.Count > 0 || chunk.Usage is not null)
                    {
                        var waiting = chunk.Clone();
                        waiting.Text = "";
                        yield return waiting;
                    }

                    continue;
                }

                chunk = chunk.Clone();
                chunk.Text = held;
            }

            if (calls == false)
            {
                yield return chunk;
                continue;
            }

            var pieces = scanner.Read(chunk.Text);
            var read = chunk.Clone();
            read.Text = "";
            read.ToolCalls.Add(pieces);
            if (read.Usage is not null && read.FinishReason == FinishReason.Stop && scanner.Calls > 0)
            {
                read.FinishReason = FinishReason.ToolCalls;
            }

            yield return read;
        }
    }
}

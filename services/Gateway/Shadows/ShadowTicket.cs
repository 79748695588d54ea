using System.Text;
using SlmCluster.Evaluation;
using SlmCluster.Gateway.Serving;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Shadows;

/// <summary>A request drawn for a shadow: the caller's answer gathered as it streams out, to be compared once it is whole.</summary>
public sealed class ShadowTicket(ShadowTarget target, PreparedRequest prepared)
{
    private readonly StringBuilder _text = new();
    private readonly SortedDictionary<int, (string Name, StringBuilder Arguments)> _calls = [];

    public ShadowTarget Target { get; } = target;

    public PreparedRequest Prepared { get; } = prepared;

    /// <summary>Adds a chunk the caller was sent.</summary>
    public void Add(GenerateChunk chunk)
    {
        _text.Append(chunk.Text);
        AddCalls(_calls, chunk);
    }

    public ScoredAnswer Answer() => new(_text.ToString(), CallsOf(_calls));

    /// <summary>Adds a chunk's tool-call pieces: a call's first piece names it, later ones carry more of its arguments.</summary>
    internal static void AddCalls(SortedDictionary<int, (string Name, StringBuilder Arguments)> calls, GenerateChunk chunk)
    {
        foreach (var piece in chunk.ToolCalls)
        {
            if (!calls.TryGetValue(piece.Index, out var call))
            {
                call = (piece.Name, new StringBuilder());
                calls[piece.Index] = call;
            }
            else if (call.Name.Length == 0 && piece.Name.Length > 0)
            {
                calls[piece.Index] = call = (piece.Name, call.Arguments);
            }

            call.Arguments.Append(piece.Arguments);
        }
    }

    internal static IReadOnlyList<ToolCallAnswer> CallsOf(SortedDictionary<int, (string Name, StringBuilder Arguments)> calls) =>
        [.. calls.Values.Select(c => new ToolCallAnswer(c.Name, c.Arguments.ToString()))];
}

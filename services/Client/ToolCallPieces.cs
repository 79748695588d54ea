using System.Text;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Client;

/// <summary>
/// Joins the tool call pieces of a streamed answer (<see cref="GenerateChunk.ToolCalls"/>) into whole calls: id and
/// name from a call's first piece, the arguments' text in order, by index.
/// </summary>
public sealed class ToolCallPieces
{
    private readonly List<(ToolCall Call, StringBuilder Arguments)> _calls = [];

    public void Add(IEnumerable<ToolCall> pieces)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        foreach (var piece in pieces)
        {
            while (_calls.Count <= piece.Index)
            {
                _calls.Add((new ToolCall { Index = _calls.Count }, new StringBuilder()));
            }

            var (call, arguments) = _calls[piece.Index];
            if (piece.Id.Length > 0)
            {
                call.Id = piece.Id;
            }

            if (piece.Name.Length > 0)
            {
                call.Name = piece.Name;
            }

            arguments.Append(piece.Arguments);
        }
    }

    /// <summary>The calls joined so far, in index order.</summary>
    public IReadOnlyList<ToolCall> Calls => [.. _calls.Select(entry =>
    {
        var call = entry.Call.Clone();
        call.Arguments = entry.Arguments.ToString();
        return call;
    })];
}

using System.Text.Json;
using SlmCluster.Client;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>
/// Joins an answer's streamed tool call pieces into the whole calls Ollama's API writes, arguments an object: a call
/// is complete when the next one begins or the answer ends. A call cut off by <c>num_predict</c> has arguments that
/// are not JSON yet; it is left out, and the answer's <c>done_reason</c> "length" says it was cut.
/// </summary>
internal sealed class OllamaToolCalls
{
    private readonly ToolCallPieces _pieces = new();
    private int _given;
    private int _seen;

    /// <summary>Reads a chunk's pieces; the calls they completed, not given before.</summary>
    public IReadOnlyList<ToolCall> Add(GenerateChunk chunk)
    {
        if (chunk.ToolCalls.Count == 0)
        {
            return [];
        }

        _pieces.Add(chunk.ToolCalls);
        _seen = Math.Max(_seen, chunk.ToolCalls.Max(c => c.Index) + 1);
        return Take(_seen - 1);
    }

    /// <summary>At the end of the answer: the calls not given yet, whole ones only.</summary>
    public IReadOnlyList<ToolCall> Rest() => Take(_seen);

    private List<ToolCall> Take(int upTo)
    {
        if (upTo <= _given)
        {
            return [];
        }

        var calls = _pieces.Calls;
        var taken = new List<ToolCall>(upTo - _given);
        for (; _given < upTo; _given++)
        {
            if (IsObject(calls[_given].Arguments))
            {
                taken.Add(calls[_given]);
            }
        }

        return taken;
    }

    private static bool IsObject(string arguments)
    {
        try
        {
            using var parsed = JsonDocument.Parse(arguments);
            return parsed.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

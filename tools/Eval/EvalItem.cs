using System.Text.Json;

namespace SlmCluster.Eval;

/// <summary>One line of an evaluation set: a prompt or messages, and optionally the expected answer and a JSON Schema the answer must follow.</summary>
public sealed record EvalItem(string Id, string? Prompt, JsonElement? Messages, string? Expected, JsonElement? Schema, int? MaxTokens)
{
    /// <summary>Reads a JSONL set: one object per line (<c>prompt</c> or <c>messages</c>; <c>expected</c>, <c>schema</c>, <c>max_tokens</c>, <c>id</c> optional).</summary>
    /// <exception cref="FormatException">A line that is not such an object, naming its number.</exception>
    public static IReadOnlyList<EvalItem> ReadSet(string path)
    {
        var items = new List<EvalItem>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            JsonElement root;
            try
            {
                root = JsonDocument.Parse(line).RootElement;
            }
            catch (JsonException e)
            {
                throw new FormatException($"{path}:{number}: not JSON ({e.Message})");
            }

            string? Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            JsonElement? Element(string name) => root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.Clone() : null;
            var item = new EvalItem(
                Text("id") ?? $"line-{number}",
                Text("prompt"),
                Element("messages"),
                Text("expected"),
                Element("schema"),
                root.TryGetProperty("max_tokens", out var max) && max.TryGetInt32(out var tokens) ? tokens : null);
            if ((item.Prompt is null) == (item.Messages is null))
            {
                throw new FormatException($"{path}:{number}: needs exactly one of \"prompt\" (a string) or \"messages\" (a chat)");
            }

            items.Add(item);
        }

        return items.Count > 0 ? items : throw new FormatException($"{path} has no items");
    }
}

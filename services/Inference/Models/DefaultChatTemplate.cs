using System.Text;

namespace SlmCluster.Inference;

/// <summary>
/// The plain chat format used for models that carry no chat template (such as the TinyStories test models).
/// Each turn is written as <c>"&lt;Role&gt;: &lt;content&gt;\n"</c>, where Role is the role with its first letter
/// upper-cased ("system" → "System", "user" → "User", "assistant" → "Assistant"); with the assistant prefix
/// the text ends in <c>"Assistant:"</c> (no trailing space or newline). Example:
/// <c>"System: Be brief.\nUser: Hi\nAssistant:"</c>.
/// </summary>
public static class DefaultChatTemplate
{
    /// <summary>Renders <paramref name="turns"/> in the default format.</summary>
    public static string Render(IReadOnlyList<ChatTurn> turns, bool addAssistantPrefix)
    {
        ArgumentNullException.ThrowIfNull(turns);
        var text = new StringBuilder();
        foreach (ChatTurn turn in turns)
        {
            text.Append(Capitalize(turn.Role)).Append(": ").Append(turn.Content).Append('\n');
        }
        if (addAssistantPrefix)
        {
            text.Append("Assistant:");
        }
        return text.ToString();
    }

    private static string Capitalize(string role)
    {
        string trimmed = role.Trim();
        return trimmed.Length == 0 ? trimmed : char.ToUpperInvariant(trimmed[0]) + trimmed[1..].ToLowerInvariant();
    }
}

namespace SlmCluster.Contracts;

/// <summary>
/// How tools are offered to a model and its calls read back, chosen from its chat template: the Hermes form (tools
/// listed in the system prompt inside <c>&lt;tools&gt;</c>, calls written as <c>&lt;tool_call&gt;{...}&lt;/tool_call&gt;</c>, results
/// in <c>&lt;tool_response&gt;</c>) where the template shows it, as Qwen's and Hermes' templates do; else a generic JSON form.
/// </summary>
public static class ToolCallFormats
{
    public const string Hermes = "hermes";

    public const string Json = "json";

    /// <summary>The format a model with <paramref name="chatTemplate"/> (its GGUF <c>tokenizer.chat_template</c>, or null) was trained on.</summary>
    public static string Of(string? chatTemplate) =>
        chatTemplate is not null && chatTemplate.Contains("<tool_call>", StringComparison.Ordinal) ? Hermes : Json;
}

namespace SlmCluster.Testing;

/// <summary>
/// A test model whose GGUF carries a Qwen-style chat template, showing the Hermes <c>&lt;tool_call&gt;</c> form: a copy of
/// a model without one (the story models cannot follow it, so tests check the structure of what they write).
/// </summary>
public static class HermesTemplateModel
{
    /// <summary>A ChatML template with Qwen's tool sections, written for these tests.</summary>
    public const string ChatTemplate = """
        {%- if tools %}<|im_start|>system
        {% if messages[0].role == 'system' %}{{ messages[0].content }}

        {% endif %}# Tools

        <tools>
        {% for tool in tools %}{{ tool | tojson }}
        {% endfor %}</tools>

        Call a function as <tool_call>
        {"name": <function-name>, "arguments": <args-json-object>}
        </tool_call><|im_end|>
        {% endif %}
        {%- for message in messages %}
        {%- if message.role == 'tool' %}<|im_start|>user
        <tool_response>
        {{ message.content }}
        </tool_response><|im_end|>
        {% else %}<|im_start|>{{ message.role }}
        {{ message.content }}{% for call in message.tool_calls %}
        <tool_call>
        {"name": "{{ call.function.name }}", "arguments": {{ call.function.arguments | tojson }}}
        </tool_call>{% endfor %}<|im_end|>
        {% endif %}
        {%- endfor %}
        {%- if add_generation_prompt %}<|im_start|>assistant
        {% endif %}
        """;

    /// <summary>Writes the copy of <paramref name="source"/> with <see cref="ChatTemplate"/> to <paramref name="destination"/>.</summary>
    public static void Write(string source, string destination) =>
        GgufMetadataWriter.CopyWith(source, destination, new Dictionary<string, string>
        {
            ["tokenizer.chat_template"] = ChatTemplate,
            ["general.name"] = "stories260K-hermes",
        });
}

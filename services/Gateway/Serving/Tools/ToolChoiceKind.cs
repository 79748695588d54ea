namespace SlmCluster.Gateway.Serving.Tools;

/// <summary>Whether the model must call a tool (OpenAI's <c>tool_choice</c>).</summary>
public enum ToolChoiceKind
{
    /// <summary>Text or calls, as the model chooses.</summary>
    Auto,

    /// <summary>No tools are offered; the answer is text.</summary>
    None,

    /// <summary>One or more calls, of any of the tools.</summary>
    Required,

    /// <summary>A call of one named tool.</summary>
    Named,
}

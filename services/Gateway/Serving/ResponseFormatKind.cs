namespace SlmCluster.Gateway.Serving;

/// <summary>What shape a request asks its answer to have.</summary>
public enum ResponseFormatKind
{
    /// <summary>Any JSON object (OpenAI's <c>json_object</c>).</summary>
    JsonObject,

    /// <summary>JSON valid against a JSON Schema, converted to a grammar by the gateway.</summary>
    JsonSchema,

    /// <summary>Text of a GBNF grammar the caller wrote (llama-server's <c>grammar</c>).</summary>
    Grammar,
}

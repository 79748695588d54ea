namespace SlmCluster.Gateway.Serving;

/// <summary>
/// The answer's shape as a front door read it, before <see cref="ServingRequestRules.Constrain"/> turns it into the
/// worker's grammar.
/// </summary>
/// <param name="Text">The schema's JSON text, or the GBNF text; empty for <see cref="ResponseFormatKind.JsonObject"/>.</param>
/// <param name="Param">The request field it came from, as the front door names it, for refusals.</param>
public sealed record ResponseFormat(ResponseFormatKind Kind, string Text, string Param)
{
    public static ResponseFormat JsonObject(string param) => new(ResponseFormatKind.JsonObject, "", param);

    public static ResponseFormat JsonSchema(string schema, string param) => new(ResponseFormatKind.JsonSchema, schema, param);

    public static ResponseFormat Grammar(string gbnf, string param) => new(ResponseFormatKind.Grammar, gbnf, param);
}

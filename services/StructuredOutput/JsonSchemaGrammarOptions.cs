namespace SlmCluster.StructuredOutput;

/// <summary>Limits and defaults of the JSON Schema to GBNF conversion (see the library's README).</summary>
public sealed class JsonSchemaGrammarOptions
{
    /// <summary>
    /// llama.cpp's GBNF parser refuses repetition counts over 2000 (DESIGN.md section 9), so no count in a grammar
    /// (a <c>maxLength</c>, a <c>maxItems</c>) may exceed this.
    /// </summary>
    public const int MaxRepetitionCount = 2000;

    /// <summary>The options every caller gets unless it passes its own.</summary>
    public static JsonSchemaGrammarOptions Default { get; } = new();

    /// <summary>
    /// The most characters a string with no <c>maxLength</c> (and each unbounded <c>*</c>, <c>+</c> or <c>{m,}</c>
    /// in a <c>pattern</c>) may have, so that a model that never closes its quote still ends its answer.
    /// </summary>
    public int UnboundedStringMaxLength { get; init; } = 256;

    /// <summary>The most items an array with no <c>maxItems</c> may have (and additional properties an object).</summary>
    public int UnboundedArrayMaxItems { get; init; } = 100;

    /// <summary>The most spaces or tabs after a line break between two JSON tokens (one space or one break plus this many).</summary>
    public int MaxIndentation { get; init; } = 20;

    /// <summary>How deeply arrays and objects may nest in a value the schema leaves open (<c>{}</c>, <c>true</c>, <c>json_object</c>).</summary>
    public int AnyValueMaxDepth { get; init; } = 6;

    /// <summary>The longest schema accepted, in characters of its JSON text.</summary>
    public int MaxSchemaLength { get; init; } = 64 * 1024;

    /// <summary>How deeply schemas may nest (subschemas inside subschemas, $ref hops included).</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>The longest grammar produced, in characters.</summary>
    public int MaxGrammarLength { get; init; } = 256 * 1024;

    /// <summary>The sum of all repetition counts in a grammar (llama.cpp makes one rule per repetition step).</summary>
    public int MaxExpandedRepetitions { get; init; } = 50_000;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a value is outside what the converter can honour.</summary>
    public void Validate()
    {
        Check(UnboundedStringMaxLength, 1, MaxRepetitionCount, nameof(UnboundedStringMaxLength));
        Check(UnboundedArrayMaxItems, 1, MaxRepetitionCount, nameof(UnboundedArrayMaxItems));
        Check(MaxIndentation, 0, 200, nameof(MaxIndentation));
        Check(AnyValueMaxDepth, 1, 64, nameof(AnyValueMaxDepth));
        Check(MaxSchemaLength, 2, 16 * 1024 * 1024, nameof(MaxSchemaLength));
        Check(MaxDepth, 1, 1000, nameof(MaxDepth));
        Check(MaxGrammarLength, 64, 64 * 1024 * 1024, nameof(MaxGrammarLength));
        Check(MaxExpandedRepetitions, 1, 10_000_000, nameof(MaxExpandedRepetitions));
    }

    private static void Check(int value, int min, int max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be between {min} and {max}.");
        }
    }
}

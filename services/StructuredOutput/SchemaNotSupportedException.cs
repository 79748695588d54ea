namespace SlmCluster.StructuredOutput;

/// <summary>
/// The schema asks for something the converter will not enforce, or is not a valid schema: a request with it is
/// answered 400 / INVALID_ARGUMENT with <see cref="Exception.Message"/>, which names the keyword and where it is.
/// </summary>
public sealed class SchemaNotSupportedException : Exception
{
    public SchemaNotSupportedException(string keyword, string path, string reason)
        : base(Describe(keyword, path, reason))
    {
        Keyword = keyword;
        Path = path;
        Reason = reason;
    }

    public SchemaNotSupportedException()
        : this("", "#", "the schema is not supported")
    {
    }

    public SchemaNotSupportedException(string message)
        : base(message)
    {
        Keyword = "";
        Path = "#";
        Reason = message;
    }

    public SchemaNotSupportedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Keyword = "";
        Path = "#";
        Reason = message;
    }

    /// <summary>The keyword refused (empty when the problem is the schema as a whole, such as its size).</summary>
    public string Keyword { get; }

    /// <summary>A JSON pointer (URI fragment form, <c>#/properties/a</c>) to the schema object that holds it.</summary>
    public string Path { get; }

    /// <summary>Why, in words.</summary>
    public string Reason { get; }

    private static string Describe(string keyword, string path, string reason) =>
        keyword.Length == 0 ? $"Unsupported JSON schema at {path}: {reason}." : $"Unsupported JSON schema: '{keyword}' at {path}: {reason}.";
}

namespace SlmCluster.StructuredOutputTests;

/// <summary>The schemas under Corpus/ (copied next to the test assembly), by file name.</summary>
internal static class SchemaCorpus
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Corpus");

    public static IEnumerable<string> Names => System.IO.Directory.GetFiles(Directory, "*.json").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!;

    public static string Text(string name) => File.ReadAllText(Path.Combine(Directory, name + ".json"));
}

namespace SlmCluster.AppHost.Hosting.Models;

/// <summary>
/// A model as the user names it: a file in the models folder, a path, or a Hugging Face reference
/// (<c>hf://owner/repo/path/file.gguf</c>) that is downloaded once and checked against its SHA-256.
/// </summary>
internal sealed record ModelReference
{
    public const string HubScheme = "hf://";

    /// <summary>The Hugging Face hub; <c>--model-base-url</c> / <c>SLM_MODEL_BASE_URL</c> points elsewhere (a mirror, a test).</summary>
    public const string DefaultBaseUrl = "https://huggingface.co";

    private ModelReference(string source, string fileName, string? hubPath, string? sha256)
    {
        Source = source;
        FileName = fileName;
        HubPath = hubPath;
        Sha256 = sha256;
    }

    /// <summary>What the user wrote.</summary>
    public string Source { get; }

    /// <summary>The file's name in the models folder.</summary>
    public string FileName { get; }

    /// <summary><c>owner/repo/path/file.gguf</c> on the hub, or null for a file that cannot be downloaded.</summary>
    public string? HubPath { get; }

    /// <summary>Lower-case hex SHA-256 the file must have, or null when none was given.</summary>
    public string? Sha256 { get; }

    public bool IsDownloadable => HubPath is not null;

    /// <summary>A local name or path: where the user put it (or a path outside the models folder).</summary>
    public bool IsPath => HubPath is null && (Path.IsPathRooted(Source) || Source.Contains('/'));

    public static ModelReference Parse(string source, string? sha256)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        if (sha256 is not null && !(sha256.Length == 64 && sha256.All(Uri.IsHexDigit)))
        {
            throw new ArgumentException($"'{sha256}' is not a SHA-256: expected 64 hex digits.", nameof(sha256));
        }

        sha256 = sha256?.ToLowerInvariant();
        if (source.StartsWith(HubScheme, StringComparison.Ordinal))
        {
            var path = source[HubScheme.Length..];
            var parts = path.Split('/');
            if (parts.Length < 3 || parts.Any(p => p.Length == 0 || p is "." or "..") || !path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"'{source}' is not a model reference: expected hf://owner/repo/file.gguf.", nameof(source));
            }

            return new ModelReference(source, parts[^1], path, sha256);
        }

        // A known model named by its file alone is found locally, else fetched from where it is published.
        if (!source.Contains('/') && KnownModels.Find(source) is { } known && (sha256 is null || sha256 == known.Sha256))
        {
            return new ModelReference(source, source, known.HubPath, known.Sha256);
        }

        return new ModelReference(source, Path.GetFileName(source), null, sha256);
    }

    /// <summary>Where the file is downloaded from: <c>&lt;base&gt;/owner/repo/resolve/main/path</c>, the hub's layout.</summary>
    public Uri DownloadUri(string? baseUrl)
    {
        if (HubPath is null)
        {
            throw new InvalidOperationException($"'{Source}' is a local file; it cannot be downloaded.");
        }

        var parts = HubPath.Split('/');
        var root = (baseUrl is { Length: > 0 } ? baseUrl : DefaultBaseUrl).TrimEnd('/');
        return new Uri($"{root}/{parts[0]}/{parts[1]}/resolve/main/{string.Join('/', parts[2..].Select(Uri.EscapeDataString))}");
    }
}

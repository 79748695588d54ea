namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>
/// A <c>PATH</c> like this process's in which a program is not found: each directory that holds it is replaced by a
/// directory of links to everything else in it, so every other program still resolves as before.
/// </summary>
internal sealed class PathWithout : IDisposable
{
    private readonly List<string> _shadows = [];

    public PathWithout(string program)
    {
        var dirs = new List<string>();
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!File.Exists(Path.Combine(dir, program)))
            {
                dirs.Add(dir);
                continue;
            }

            var shadow = Directory.CreateTempSubdirectory("slm-path-").FullName;
            _shadows.Add(shadow);
            foreach (var entry in Directory.EnumerateFileSystemEntries(dir))
            {
                if (Path.GetFileName(entry) != program)
                {
                    File.CreateSymbolicLink(Path.Combine(shadow, Path.GetFileName(entry)), entry);
                }
            }

            dirs.Add(shadow);
        }

        Value = string.Join(':', dirs);
    }

    public string Value { get; }

    public void Dispose()
    {
        foreach (var shadow in _shadows)
        {
            Directory.Delete(shadow, recursive: true);
        }
    }
}

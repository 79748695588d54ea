namespace SlmCluster.AppHost.Hosting.Publishing;

/// <summary>The GGUF file an init container downloads into each worker pod's volume and checks before the worker starts.</summary>
/// <param name="Name">A short name, used in the init container's name (<c>fetch-&lt;Name&gt;</c>).</param>
/// <param name="FileName">The file's name in the pod's models volume.</param>
/// <param name="DownloadUrl">Where the file is downloaded from.</param>
/// <param name="Sha256">Lower-case hex SHA-256 the file must have; a download that differs is refused.</param>
internal sealed record ModelSpec(string Name, string FileName, Uri DownloadUrl, string Sha256);

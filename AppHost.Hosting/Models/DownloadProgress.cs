namespace SlmCluster.AppHost.Hosting.Models;

/// <summary>How far a download is: bytes in the models folder (resumed ones included) of <see cref="Total"/>.</summary>
internal readonly record struct DownloadProgress(string FileName, long Received, long? Total);

namespace SlmCluster.AppHost.Hosting.Publishing;

/// <summary>
/// A Redis server: the response cache, Orleans' membership table and the worker grain directory. Every silo gets
/// <c>ConnectionStrings__&lt;Name&gt;</c> with the password from a Secret.
/// </summary>
/// <param name="Name">The resource name: the Service, the StatefulSet and the connection string's name.</param>
/// <param name="Image">A pinned image (<c>redis:7.4.1</c>).</param>
/// <param name="Port">The port it listens on and its Service exposes.</param>
internal sealed record RedisSpec(string Name, string Image, int Port);

namespace SlmCluster.AppHost.Hosting;

/// <summary>What the AppHost knows about a service project (Aspire generates these as <c>Projects.*</c>).</summary>
internal interface IProjectMetadata
{
    /// <summary>The built service, started with <c>dotnet</c>.</summary>
    string AssemblyPath { get; }

    /// <summary>The configuration section the service reads its ports from (<c>&lt;section&gt;__GrpcPort</c>).</summary>
    string ConfigSection { get; }

    /// <summary>The Dockerfile under <c>deploy/docker/</c> its image is built from.</summary>
    string Dockerfile { get; }
}

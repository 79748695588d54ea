using SlmCluster.AppHost.Models;

namespace SlmCluster.AppHost.Hosting;

/// <summary>The Aspire-shaped vocabulary the AppHost's Program.cs is written in.</summary>
internal static class ResourceBuilderExtensions
{
    public static IResourceBuilder<RedisResource> AddRedis(this DistributedApplicationBuilder builder, string name) =>
        builder.Add(new RedisResource(name));

    /// <param name="source">A file in the models folder, a path, or <c>hf://owner/repo/file.gguf</c>.</param>
    /// <param name="sha256">The file's SHA-256: required for references that are downloaded.</param>
    public static IResourceBuilder<ModelResource> AddModel(this DistributedApplicationBuilder builder, string name, string source, string? sha256 = null) =>
        builder.Add(new ModelResource(name, ModelReference.Parse(source, sha256)));

    public static IResourceBuilder<ProjectResource> AddProject<TProject>(this DistributedApplicationBuilder builder, string name)
        where TProject : IProjectMetadata, new() =>
        builder.Add(new ProjectResource(name, new TProject()));

    public static IResourceBuilder<ProjectResource> WithReplicas(this IResourceBuilder<ProjectResource> builder, int replicas)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(replicas, 1);
        builder.Resource.Replicas = replicas;
        return builder;
    }

    public static IResourceBuilder<ProjectResource> WithModel(this IResourceBuilder<ProjectResource> builder, IResourceBuilder<ModelResource> model)
    {
        builder.Resource.Model = model.Resource;
        return builder;
    }

    /// <summary><c>cpu</c>, or <c>cuda</c>: replica i gets GPU i locally, and one <c>nvidia.com/gpu</c> per pod when published.</summary>
    public static IResourceBuilder<ProjectResource> WithDevice(this IResourceBuilder<ProjectResource> builder, string device)
    {
        if (device is not ("cpu" or "cuda"))
        {
            throw new ArgumentException($"Unknown device '{device}': use cpu or cuda.", nameof(device));
        }

        builder.Resource.Device = device;
        return builder;
    }

    public static IResourceBuilder<ProjectResource> WithEngine(this IResourceBuilder<ProjectResource> builder, int threads, int slots)
    {
        builder.Resource.Threads = threads;
        builder.Resource.Slots = slots;
        return builder;
    }

    /// <summary>Hands <paramref name="source"/> to the project: a connection string for Redis, endpoints for a project.</summary>
    public static IResourceBuilder<ProjectResource> WithReference<TSource>(this IResourceBuilder<ProjectResource> builder, IResourceBuilder<TSource> source)
        where TSource : IResource
    {
        builder.Resource.References.Add(source.Resource);
        return builder;
    }

    /// <summary>Fixed ports for callers outside the cluster.</summary>
    public static IResourceBuilder<ProjectResource> WithExternalEndpoints(this IResourceBuilder<ProjectResource> builder, int grpcPort, int httpPort)
    {
        builder.Resource.GrpcPort = grpcPort;
        builder.Resource.HttpPort = httpPort;
        return builder;
    }
}

using System.Globalization;

namespace SlmCluster.AppHost.Hosting;

internal static class WorkerResourceExtensions
{
    /// <summary>The worker serves <paramref name="model"/>: its verified path, known once the model resource runs.</summary>
    public static IResourceBuilder<ProjectResource> WithModel(this IResourceBuilder<ProjectResource> worker, IResourceBuilder<ModelResource> model) =>
        worker
            .WithEnvironment(context =>
            {
                context.EnvironmentVariables[ClusterSettings.Keys.Worker.ModelPath] = model.Resource.Path
                    ?? throw new InvalidOperationException($"Model '{model.Resource.Reference.Source}' is not resolved yet.");
            })
            .WithAnnotation(new WorkerModelAnnotation(model.Resource));

    /// <summary>
    /// The workers load <paramref name="model"/>'s LoRA adapters (<c>Worker:Adapters</c>): those that resolved, numbered
    /// in declaration order; a failed one is left out.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithAdapters(this IResourceBuilder<ProjectResource> worker, IResourceBuilder<ModelResource> model) =>
        worker.WithEnvironment(context =>
        {
            var i = 0;
            foreach (var adapter in model.Resource.Adapters.Where(a => a.Path is not null))
            {
                context.EnvironmentVariables[ClusterSettings.Keys.Worker.AdapterName(i)] = adapter.AdapterName;
                context.EnvironmentVariables[ClusterSettings.Keys.Worker.AdapterPath(i)] = adapter.Path!;
                i++;
            }
        });

    /// <summary>
    /// What the workers serve with their model (<c>Worker:Serves</c>): <c>generation</c>, <c>embeddings</c> or
    /// <c>both</c>; a model with embeddings is listed by /v1/models with that capability and answers /v1/embeddings.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithServes(this IResourceBuilder<ProjectResource> worker, string serves) =>
        worker
            .WithEnvironment(ClusterSettings.Keys.Worker.Serves, serves)
            .WithAnnotation(new WorkerServesAnnotation(serves));

    /// <summary>
    /// Engine threads and sequence slots per worker, and the device it computes on (one of
    /// <see cref="ClusterSettings.Devices"/>, as the published manifests name it too): on a GPU every layer is offloaded.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithEngine(this IResourceBuilder<ProjectResource> worker, int threads, int slots, string device) =>
        worker
            .WithEnvironment(ClusterSettings.Keys.Worker.Threads, threads.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment(ClusterSettings.Keys.Worker.Slots, slots.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment(ClusterSettings.Keys.Worker.Device, device)
            .WithEnvironment(ClusterSettings.Keys.Worker.GpuLayers, ClusterSettings.Devices.GpuLayers(device).ToString(CultureInfo.InvariantCulture))
            .WithAnnotation(new WorkerEngineAnnotation(threads, slots, device));
}

/// <summary>What a worker group serves with its model: generation, embeddings or both (read by the publish step).</summary>
internal sealed record WorkerServesAnnotation(string Serves) : IResourceAnnotation;

/// <summary>Which model a worker group serves (read by the publish step).</summary>
internal sealed record WorkerModelAnnotation(ModelResource Model) : IResourceAnnotation;

/// <summary>How a worker group's engines run (read by the publish step).</summary>
internal sealed record WorkerEngineAnnotation(int Threads, int Slots, string Device) : IResourceAnnotation;

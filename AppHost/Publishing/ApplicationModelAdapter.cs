using System.Diagnostics.CodeAnalysis;
using SlmCluster.AppHost.Hosting;
using SlmCluster.AppHost.Orchestration;

namespace SlmCluster.AppHost.Publishing;

/// <summary>
/// The bridge from this AppHost's own application model to <see cref="KubernetesClusterSpec"/>, and the
/// <c>publish</c> command built on it. Everything model-specific about publishing lives here and nowhere else.
/// </summary>
internal static class ApplicationModelAdapter
{
    /// <summary>
    /// Reduces the described cluster to what the manifests need; false, with a message a person can act on,
    /// when it cannot be published (a worker's model that cannot be downloaded and verified in the cluster).
    /// </summary>
    public static bool TryCreateSpec(
        DistributedApplicationModel model,
        AppHostOptions options,
        [NotNullWhen(true)] out KubernetesClusterSpec? spec,
        [NotNullWhen(false)] out string? error)
    {
        spec = null;
        if (model.ModelServers.FirstOrDefault(p => !p.Model!.Reference.IsDownloadable || p.Model.Reference.Sha256 is null) is { } local)
        {
            error =
                $"the init container downloads the model, so publishing needs one it can download and verify: '{local.Model!.Reference.Source}' is not. " +
                "Pass --model hf://owner/repo/file.gguf --model-sha256 <64 hex digits>.";
            return false;
        }

        if (model.Redis is not { } cache)
        {
            error = "the published cluster needs a Redis resource (AddRedis) for its cache and worker registry.";
            return false;
        }

        var redis = new RedisSpec(cache.Name, cache.Image, cache.Port);
        RedisSpec? RedisOf(ProjectResource project) => project.References.Contains(cache) ? redis : null;
        string Image(string repository) => $"{options.ImagePrefix}/{repository}:{options.ImageTag}";

        var workers = model.ModelServers.ToDictionary(p => p, p =>
        {
            var reference = p.Model!.Reference;
            var cuda = p.Device == "cuda";
            return new WorkerGroupSpec(
                p.Name,
                Image(cuda ? $"{p.Name}-cuda" : p.Name),
                p.Replicas,
                cuda ? WorkerDevice.Cuda : WorkerDevice.Cpu,
                p.Threads > 0 ? p.Threads : null,
                p.Slots,
                new ModelSpec(p.Model.Name, reference.FileName, reference.DownloadUri(options.ModelBaseUrl), reference.Sha256!),
                p.ContainerGrpcPort,
                p.ContainerHttpPort,
                RedisOf(p));
        });

        var front = model.FrontDoor;
        var gateway = new GatewaySpec(
            front.Name,
            Image(front.Name),
            front.ContainerGrpcPort,
            front.ContainerHttpPort,
            [.. front.References.OfType<ProjectResource>().Where(workers.ContainsKey).Select(p => workers[p])],
            RedisOf(front));

        spec = new KubernetesClusterSpec(KubernetesClusterSpec.DefaultNamespace, redis, [.. workers.Values], gateway);
        error = null;
        return true;
    }

    /// <summary>The <c>publish</c> command: writes the manifests to <see cref="AppHostOptions.Output"/>; returns the exit code.</summary>
    public static async Task<int> PublishAsync(DistributedApplicationModel model, AppHostOptions options, CancellationToken cancellationToken)
    {
        if (!TryCreateSpec(model, options, out var spec, out var error))
        {
            await Console.Error.WriteLineAsync($"error: {error}");
            return 1;
        }

        var written = await KubernetesManifestWriter.WriteAsync(spec, Path.GetFullPath(options.Output), cancellationToken);
        foreach (var path in written)
        {
            Console.WriteLine($"wrote {Path.Combine(options.Output, Path.GetFileName(path))}");
        }

        Console.WriteLine();
        Console.WriteLine("Apply with (see README, \"Kubernetes\"):");
        foreach (var line in KubernetesManifestWriter.HowToApply(spec, options.Output).Split('\n'))
        {
            Console.WriteLine($"  {line}");
        }

        return 0;
    }
}

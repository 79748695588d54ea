using System.Diagnostics.CodeAnalysis;
using Aspire.Hosting.Pipelines;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SlmCluster.AppHost.Hosting.Publishing;

/// <summary>
/// The step of Aspire's publish pipeline that writes the cluster as Kubernetes manifests: it reads the same
/// application model the local run starts (Redis, the models and their worker groups, the gateway) and hands the writer
/// what the manifests need.
/// </summary>
internal static class KubernetesPublishStep
{
    public const string Name = "publish-kubernetes";

    /// <summary>Where manifests go when <c>--output</c> names no folder.</summary>
    public static readonly string DefaultOutput = Path.Combine("deploy", "k8s");

    private const string RedisImage = "redis:7.4.1";
    private const string SiloServiceAccount = "orleans-silo";

    /// <summary>Adds the step to the application's publish pipeline.</summary>
    public static IDistributedApplicationBuilder AddKubernetesPublishing(this IDistributedApplicationBuilder builder, KubernetesPublishOptions options)
    {
        builder.Pipeline.AddStep(Name, context => RunOrFailAsync(context, options), requiredBy: WellKnownPipelineSteps.Publish);
        return builder;
    }

    /// <summary>
    /// Aspire logs a failed step and stops the host, but the process would still exit 0: a script or CI job publishing
    /// manifests must see the failure, whatever it was (a refused spec, a folder it cannot write).
    /// </summary>
    private static async Task RunOrFailAsync(PipelineStepContext context, KubernetesPublishOptions options)
    {
        try
        {
            await RunAsync(context, options);
        }
        catch
        {
            Environment.ExitCode = 1;
            throw;
        }
    }

    public static async Task RunAsync(PipelineStepContext context, KubernetesPublishOptions options)
    {
        var configuration = context.Services.GetRequiredService<IConfiguration>();
        var output = Path.GetFullPath(configuration["Pipeline:OutputPath"] is { Length: > 0 } path ? path : DefaultOutput);
        var logger = context.Logger;
        if (!TryCreateSpec(context.Model, options, out var spec, out var error))
        {
            throw new InvalidOperationException(error);
        }

        foreach (var written in await KubernetesManifestWriter.WriteAsync(spec, output, context.CancellationToken))
        {
            logger.LogInformation("wrote {File}", written);
        }

        logger.LogInformation("Apply with (see docs/deploy.md):\n{HowTo}", KubernetesManifestWriter.HowToApply(spec, output));
    }

    /// <summary>
    /// Reduces the application model to what the manifests need; false, with a message a person can act on, when it
    /// cannot be published (a model the init container cannot download and verify, or no Redis).
    /// </summary>
    public static bool TryCreateSpec(DistributedApplicationModel model, KubernetesPublishOptions options,
        [NotNullWhen(true)] out KubernetesClusterSpec? spec, [NotNullWhen(false)] out string? error)
    {
        spec = null;
        var projects = model.Resources.OfType<ProjectResource>().ToArray();
        var modelServers = projects.Where(p => p.TryGetLastAnnotation<WorkerModelAnnotation>(out _)).ToArray();
        static ModelResource ModelOf(ProjectResource server) => server.Annotations.OfType<WorkerModelAnnotation>().Last().Model;
        if (modelServers.Select(p => ModelOf(p).Reference)
                .FirstOrDefault(r => !r.IsDownloadable || r.Sha256 is null) is { } local)
        {
            error =
                $"the init container downloads the model, so publishing needs one it can download and verify: '{local.Source}' is not. " +
                "Pass --model hf://owner/repo/file.gguf --model-sha256 <64 hex digits>.";
            return false;
        }

        if (modelServers.SelectMany(p => ModelOf(p).Adapters)
                .FirstOrDefault(a => !a.Reference.IsDownloadable || a.Reference.Sha256 is null) is { } localAdapter)
        {
            error =
                $"an init container downloads each adapter beside its model, so publishing needs adapters it can download and verify: " +
                $"'{localAdapter.AdapterName}={localAdapter.Reference.Source}' is not. Pass --adapter {localAdapter.AdapterName}=hf://owner/repo/file.gguf@<64 hex digits>.";
            return false;
        }

        if (model.Resources.OfType<RedisServerResource>().FirstOrDefault() is not { } cache)
        {
            error = "the published cluster needs a Redis resource: it holds Orleans' membership table, the worker grain directory and the cache.";
            return false;
        }

        var redis = new RedisSpec(cache.Name, RedisImage, ClusterSettings.Ports.Redis);
        string Image(string repository) => $"{options.ImagePrefix}/{repository}:{options.ImageTag}";
        var workers = modelServers.Select(p =>
        {
            var reference = ModelOf(p);
            var engine = p.Annotations.OfType<WorkerEngineAnnotation>().LastOrDefault() ?? new WorkerEngineAnnotation(0, 1, ClusterSettings.Devices.Cuda);
            var gpu = ClusterSettings.Devices.IsGpu(engine.Device);
            return new WorkerGroupSpec(
                p.Name,
                Image(gpu ? $"{p.Name}-{engine.Device}" : p.Name),
                p.GetReplicaCount(),
                engine.Device,
                options.Threads > 0 ? options.Threads : null,
                engine.Slots,
                new ModelSpec(reference.Name, reference.Reference.FileName, reference.Reference.DownloadUri(options.ModelBaseUrl), reference.Reference.Sha256!),
                // Every pod's HTTP port is the gateway's public one.
                ClusterSettings.Ports.GatewayHttp,
                p.Annotations.OfType<WorkerServesAnnotation>().LastOrDefault()?.Serves ?? "generation",
                [.. reference.Adapters.Select(a => new ModelSpec(a.AdapterName, a.Reference.FileName, a.Reference.DownloadUri(options.ModelBaseUrl), a.Reference.Sha256!))]);
        }).ToArray();

        var front = projects.Single(p => !p.TryGetLastAnnotation<WorkerModelAnnotation>(out _));
        var silo = new SiloSpec(ClusterSettings.ClusterId, ClusterSettings.ServiceId, ClusterSettings.Ports.Silo, SiloServiceAccount, ClusterSettings.WorkerDirectory)
        {
            TracesPerSecond = options.TracesPerSecond,
        };
        spec = new KubernetesClusterSpec(KubernetesClusterSpec.DefaultNamespace, redis, silo, workers,
            new GatewaySpec(front.Name, Image(front.Name), ClusterSettings.Ports.GatewayGrpc, ClusterSettings.Ports.GatewayHttp, options.Cascade));
        error = null;
        return true;
    }
}

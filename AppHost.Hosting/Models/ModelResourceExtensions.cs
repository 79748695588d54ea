using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SlmCluster.AppHost.Hosting.Models;

namespace SlmCluster.AppHost.Hosting;

internal static class ModelResourceExtensions
{
    /// <summary>
    /// Adds the model <paramref name="source"/> (a file in the models folder, a path, or <c>hf://owner/repo/file.gguf</c>
    /// with its SHA-256). It is resolved when the application starts: found, or downloaded once into the models folder
    /// and verified; a missing or corrupt file fails the resource, and nothing that waits for it starts.
    /// </summary>
    public static IResourceBuilder<ModelResource> AddModel(this IDistributedApplicationBuilder builder, string name, string source, string? sha256,
        string modelsDirectory, string? baseUrl, string repoRoot)
    {
        var reference = ModelReference.Parse(source, sha256);
        var resource = new ModelResource(name, reference);
        builder.Eventing.Subscribe<InitializeResourceEvent>(resource, async (e, cancellationToken) =>
        {
            var notifications = e.Notifications;
            await e.Eventing.PublishAsync(new BeforeResourceStartedEvent(resource, e.Services), cancellationToken);
            try
            {
                var path = await ResolveAsync(resource, reference, e, modelsDirectory, baseUrl, repoRoot, cancellationToken);
                resource.Path = path;
                var size = new FileInfo(path).Length;
                // The workers start once the model runs: by then each adapter is resolved (and passed) or failed (left out).
                await Task.WhenAll(resource.Adapters.Select(a => a.Settled.Task)).WaitAsync(cancellationToken);
                e.Logger.LogInformation("Model {Source} is {Path} ({Size} bytes)", reference.Source, path, size);
                await notifications.PublishUpdateAsync(resource, s => s with
                {
                    State = KnownResourceStates.Running,
                    Properties = [.. s.Properties, new("model.path", path), new("model.size", size.ToString("N0", CultureInfo.InvariantCulture))],
                });
            }
            catch (ModelSupplyException failure)
            {
                // In the model's log on the dashboard, and on the AppHost's console where the user started it.
                e.Logger.LogError("{Message}", failure.Message);
                e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SlmCluster.Model").LogError("{Message}", failure.Message);
                await notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.FailedToStart });
            }
        });

        return builder.AddResource(resource)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "Model",
                State = KnownResourceStates.NotStarted,
                Properties = [new("model.source", reference.Source), new("model.sha256", reference.Sha256 ?? "(not given)")],
            })
            .ExcludeFromManifest();
    }

    /// <summary>
    /// A resource name for the adapter (<see cref="ResourceNames.Part"/>); a name taken already (sql_v2 beside sql.v2)
    /// gets a number.
    /// </summary>
    private static string AdapterResourceName(IDistributedApplicationBuilder builder, string adapterName)
    {
        var part = ResourceNames.Part(adapterName);
        var name = $"adapter-{part}";
        for (var n = 2; builder.Resources.Any(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase)); n++)
        {
            name = $"adapter-{part}-{n}";
        }

        return name;
    }

    /// <summary>
    /// Adds LoRA adapter <paramref name="adapterName"/> of <paramref name="model"/> from <paramref name="source"/> (as a
    /// model's: a file, a path, or hf:// with its SHA-256), resolved when the application starts. A missing or corrupt
    /// file fails this resource with the reason and the model serves without it.
    /// </summary>
    public static IResourceBuilder<AdapterResource> AddAdapter(this IDistributedApplicationBuilder builder, IResourceBuilder<ModelResource> model,
        string adapterName, string source, string? sha256, string modelsDirectory, string? baseUrl, string repoRoot)
    {
        var reference = ModelReference.Parse(source, sha256);
        var resource = new AdapterResource(AdapterResourceName(builder, adapterName), adapterName, reference, model.Resource);
        model.Resource.Adapters.Add(resource);
        builder.Eventing.Subscribe<InitializeResourceEvent>(resource, async (e, cancellationToken) =>
        {
            var notifications = e.Notifications;
            try
            {
                var path = await ResolveAsync(resource, reference, e, modelsDirectory, baseUrl, repoRoot, cancellationToken);
                resource.Path = path;
                e.Logger.LogInformation("Adapter {Name} of {Model} is {Path}", adapterName, model.Resource.Reference.Source, path);
                await notifications.PublishUpdateAsync(resource, s => s with
                {
                    State = KnownResourceStates.Running,
                    Properties = [.. s.Properties, new("adapter.path", path)],
                });
            }
            catch (ModelSupplyException failure)
            {
                e.Logger.LogError("{Message}", failure.Message);
                e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SlmCluster.Adapter").LogError(
                    "Adapter {Name} is left out, its model serves without it: {Message}", adapterName, failure.Message);
                await notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.FailedToStart });
            }
            finally
            {
                resource.Settled.TrySetResult();
            }
        });

        return builder.AddResource(resource)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "Adapter",
                State = KnownResourceStates.NotStarted,
                Properties = [new("adapter.name", adapterName), new("adapter.source", reference.Source), new("adapter.sha256", reference.Sha256 ?? "(not given)")],
            })
            .WithParentRelationship(model)
            .ExcludeFromManifest();
    }

    /// <summary>
    /// Finds or downloads <paramref name="reference"/> into the models folder, with the download's progress as
    /// <paramref name="resource"/>'s state; the one way a model and an adapter file are supplied.
    /// </summary>
    private static async Task<string> ResolveAsync(IResource resource, ModelReference reference, InitializeResourceEvent e,
        string modelsDirectory, string? baseUrl, string repoRoot, CancellationToken cancellationToken)
    {
        var notifications = e.Notifications;
        await notifications.PublishUpdateAsync(resource, s => s with
        {
            State = new ResourceStateSnapshot("Resolving", KnownResourceStateStyles.Info),
            StartTimeStamp = DateTime.UtcNow,
        });
        var progress = new ThrottledProgress(update => _ = notifications.PublishUpdateAsync(resource, s => s with
        {
            State = new ResourceStateSnapshot(Describe(update), KnownResourceStateStyles.Info),
        }), e.Logger);
        var http = e.Services.GetRequiredService<IHttpClientFactory>().CreateClient("models");
        var supply = new ModelSupply(modelsDirectory, repoRoot, baseUrl, new ModelDownloader(http, progress));
        return await supply.ResolveAsync(reference, cancellationToken);
    }

    private static string Describe(DownloadProgress update) => update.Total is { } total and > 0
        ? $"Downloading {update.Received * 100 / total}%"
        : $"Downloading {update.Received / (1024 * 1024)} MiB";

    /// <summary>Download progress for the dashboard and the log, at most a few updates a second.</summary>
    private sealed class ThrottledProgress(Action<DownloadProgress> publish, ILogger logger) : IProgress<DownloadProgress>
    {
        private long _lastReport;
        private int _lastPercent = -1;

        public void Report(DownloadProgress value)
        {
            var now = Environment.TickCount64;
            var percent = value.Total is { } total and > 0 ? (int)(value.Received * 100 / total) : -1;
            if (now - Interlocked.Read(ref _lastReport) < 250 && percent != 100)
            {
                return;
            }

            Interlocked.Exchange(ref _lastReport, now);
            publish(value);
            if (percent / 10 != _lastPercent / 10)
            {
                _lastPercent = percent;
                logger.LogInformation("Downloading {File}: {Received} of {Total} bytes", value.FileName, value.Received, value.Total);
            }
        }
    }
}

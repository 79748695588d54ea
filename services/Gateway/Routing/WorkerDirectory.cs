using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using SlmCluster.Contracts;
using SlmCluster.Gateway.Configuration;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Routing;

/// <summary>
/// Keeps the <see cref="WorkerPool"/> in line with the cluster: a worker is a live silo whose grain manifest has the
/// model worker grain. A silo that joins is asked for its status at once and takes traffic when it answers; a silo
/// that Orleans declares dead (or that is shutting down) leaves routing the moment the membership update arrives.
/// Between updates each worker's status (model, load, draining) is read every <see cref="GatewayOptions.WorkerStatusInterval"/>.
/// </summary>
public sealed partial class WorkerDirectory(
    IClusterMembershipService membership,
    IClusterManifestProvider manifests,
    IGrainFactory grains,
    WorkerPool pool,
    IOptions<GatewayOptions> options,
    ILogger<WorkerDirectory> logger) : BackgroundService
{
    private static readonly GrainType WorkerGrainType = GrainType.Create(WorkerGrainKey.GrainType);
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan StatusResend = TimeSpan.FromMilliseconds(300);
    // One pending "look again" at most: a burst of updates while a reconcile runs is answered by one more reconcile.
    private readonly SemaphoreSlim _changed = new(0, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var watchers = Task.WhenAll(WatchAsync(membership.MembershipUpdates, stoppingToken), WatchAsync(manifests.Updates, stoppingToken));
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await ReconcileAsync(stoppingToken);
                await _changed.WaitAsync(options.Value.WorkerStatusInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await watchers;
    }

    /// <summary>Asks the directory to look again now: a call found a worker's silo gone, or the cluster changed.</summary>
    public void Refresh()
    {
        try
        {
            _changed.Release();
        }
        catch (SemaphoreFullException)
        {
            // A reconcile is already due.
        }
    }

    private async Task WatchAsync<T>(IAsyncEnumerable<T> updates, CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var update in updates.WithCancellation(stoppingToken))
            {
                // Membership first: a silo declared dead is out of routing before anything else is awaited.
                if (update is ClusterMembershipSnapshot snapshot)
                {
                    RemoveGone(snapshot);
                }

                Refresh();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task ReconcileAsync(CancellationToken stoppingToken)
    {
        var snapshot = membership.CurrentSnapshot;
        RemoveGone(snapshot);
        var manifest = manifests.Current.Silos;
        var workers = snapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active && HostsWorker(manifest, m.SiloAddress))
            .Select(m => m.SiloAddress)
            .ToArray();
        await Task.WhenAll(workers.Select(silo => RefreshAsync(silo, stoppingToken)));
    }

    private static bool HostsWorker(ImmutableDictionary<SiloAddress, Orleans.Metadata.GrainManifest> manifest, SiloAddress silo) =>
        manifest.TryGetValue(silo, out var grainManifest) && grainManifest.Grains.ContainsKey(WorkerGrainType);

    private void RemoveGone(ClusterMembershipSnapshot snapshot)
    {
        var gone = pool.RemoveWhere(w =>
            !snapshot.Members.TryGetValue(SiloAddress.FromParsableString(w.Key), out var member) || member.Status != SiloStatus.Active);
        foreach (var worker in gone)
        {
            LogWorkerLeft(logger, worker.WorkerId, worker.Key);
        }
    }

    private async Task RefreshAsync(SiloAddress silo, CancellationToken stoppingToken)
    {
        var key = silo.ToParsableString();
        var worker = pool.Find(key) ?? new RoutedWorker(key, grains.GetGrain<IModelWorkerGrain>(key));
        WorkerStatus status;
        try
        {
            var asked = Stopwatch.GetTimestamp();
            status = await ReadStatusAsync(worker.Grain, stoppingToken);
            worker.RecordStatusRoundTrip(Stopwatch.GetElapsedTime(asked));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (worker.IsHealthy)
            {
                worker.IsHealthy = false;
                LogWorkerUnhealthy(logger, worker.WorkerId, key, e.Message);
            }

            return;
        }

        worker.WorkerId = status.WorkerId;
        worker.Device = status.Device;
        worker.Slots = status.Slots;
        worker.AnnouncedLoad = status.ActiveSequences + status.QueueDepth;
        worker.IsDraining = status.Draining;
        worker.Activations = status.Activations;
        if (worker.Models.Count == 0 || worker.Models[0].Id != status.Model.Id || worker.Models[0].FileSha256 != status.Model.FileSha256
            || !SameAdapters(worker.Models[0], status.Model))
        {
            worker.Models = [ToModelInfo(status.Model)];
        }

        var wasHealthy = worker.IsHealthy;
        worker.IsHealthy = true;
        if (pool.Add(worker) == worker && !wasHealthy)
        {
            LogWorkerJoined(logger, status.WorkerId, key, status.Model.Id, status.Device, status.Slots);
        }
        else if (!wasHealthy)
        {
            LogWorkerHealthy(logger, status.WorkerId, key);
        }
    }

    /// <summary>
    /// Reads a worker's status. A read sent just before the worker's process died is never answered (Orleans fails it
    /// only when membership declares the silo dead, seconds later), so while no read has been answered another is sent
    /// every <see cref="StatusResend"/>: the first one sent after the process died fails at once (its connection is
    /// refused), while a live but busy worker answers one of them.
    /// </summary>
    internal static async Task<WorkerStatus> ReadStatusAsync(IModelWorkerGrain grain, CancellationToken stoppingToken)
    {
        var reads = new List<Task<WorkerStatus>>();
        var deadline = Environment.TickCount64 + (long)StatusTimeout.TotalMilliseconds;
        try
        {
            while (true)
            {
                var left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    throw new TimeoutException($"No status answer within {StatusTimeout.TotalSeconds:F0} s");
                }

                reads.Add(grain.GetStatus());

                var wait = Task.Delay(TimeSpan.FromMilliseconds(Math.Min(left, StatusResend.TotalMilliseconds)), stoppingToken);
                var settled = await Task.WhenAny([.. reads, wait]);
                if (settled != wait)
                {
                    return await (Task<WorkerStatus>)settled;
                }

                stoppingToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            // The reads not used may still fail later; their failures are observed here, not left to the finalizer.
            foreach (var read in reads.Where(r => !r.IsCompleted))
            {
                _ = read.ContinueWith(static t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            }
        }
    }

    /// <summary>Whether the listed adapters are the ones the status names, with the same files (hashes arrive after start).</summary>
    private static bool SameAdapters(ModelInfo listed, ModelDescription model)
    {
        if (listed.Adapters.Count != model.Adapters.Count)
        {
            return false;
        }

        for (var i = 0; i < model.Adapters.Count; i++)
        {
            if (listed.Adapters[i].Name != model.Adapters[i].Name || listed.Adapters[i].FileSha256 != model.Adapters[i].FileSha256)
            {
                return false;
            }
        }

        return true;
    }

    private static ModelInfo ToModelInfo(ModelDescription model) => new()
    {
        Adapters =
        {
            model.Adapters.Select(a => new AdapterInfo
            {
                Name = a.Name,
                FileSha256 = a.FileSha256,
                Rank = a.Rank,
                Alpha = a.Alpha,
                SizeBytes = a.SizeBytes,
            }),
        },
        Id = model.Id,
        Name = model.Name,
        Architecture = model.Architecture,
        Parameters = model.Parameters,
        ContextLength = model.ContextLength,
        HasChatTemplate = model.HasChatTemplate,
        Replicas = 1,
        FileSha256 = model.FileSha256,
        SizeBytes = model.SizeBytes,
        ToolCallFormat = model.ToolCallFormat,
        Embeddings = model.ServesEmbeddings,
        EmbeddingsOnly = model.EmbeddingsOnly,
        EmbeddingDimensions = model.EmbeddingDimensions,
        MaxEmbeddingInputTokens = model.MaxEmbeddingInputTokens,
        EmbeddingPooling = model.EmbeddingPooling,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {WorkerId} joined (silo {Silo}): serving {Model} on {Device} with {Slots} slots")]
    private static partial void LogWorkerJoined(ILogger logger, string workerId, string silo, string model, string device, int slots);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {WorkerId} (silo {Silo}) answers again and is back in rotation")]
    private static partial void LogWorkerHealthy(ILogger logger, string workerId, string silo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {WorkerId} (silo {Silo}) is out of rotation: its status call failed: {Detail}")]
    private static partial void LogWorkerUnhealthy(ILogger logger, string workerId, string silo, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {WorkerId} (silo {Silo}) left the cluster and is out of routing")]
    private static partial void LogWorkerLeft(ILogger logger, string workerId, string silo);
}

using System.Diagnostics;
using System.Runtime.InteropServices;
using SlmCluster.AppHost.Hosting;
using SlmCluster.AppHost.Models;
using Spectre.Console;

namespace SlmCluster.AppHost.Orchestration;

/// <summary>
/// The local back end: supplies the model, checks the devices, starts the cluster with a live view,
/// prints where to reach it, and on Ctrl-C or SIGTERM stops it in order.
/// </summary>
internal sealed class LocalRun(DistributedApplicationModel model, AppHostOptions options)
{
    public async Task<int> RunAsync()
    {
        using var stopping = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stopping.Cancel();
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        _ = LauncherWatch.WhenLauncherExitsAsync(stopping.Token).ContinueWith(_ => stopping.Cancel(), TaskScheduler.Default);

        var started = Stopwatch.StartNew();
        string modelPath;
        try
        {
            modelPath = await SupplyModelAsync(stopping.Token);
        }
        catch (ModelSupplyException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            Console.WriteLine("Stopped while the model was being supplied; the next start resumes the download.");
            return 0;
        }

        foreach (var project in model.ModelServers.Where(p => p.Device == "cuda"))
        {
            if (GpuInventory.CheckCudaWorkers(project.Replicas, project.Project.AssemblyPath) is { } problem)
            {
                Console.Error.WriteLine($"error: {problem}");
                return 1;
            }
        }

        var workers = model.ModelServers.Sum(p => p.Replicas);
        Console.WriteLine($"Starting {workers} workers serving {modelPath}");
        await using var cluster = new LocalCluster(model, options, modelPath);
        try
        {
            await new StartupView(cluster.Statuses).ShowWhileAsync(cluster.StartAsync(stopping.Token));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            Console.WriteLine("Stopped before the cluster was ready.");
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }

        PrintReady(cluster, started.Elapsed);
        cluster.Stopping = status => Console.WriteLine($"[apphost] {status.Name} {status.State.ToString().ToLowerInvariant()}");
        try
        {
            var exited = await cluster.AnyExitedAsync(stopping.Token);
            Console.Error.WriteLine($"error: {exited.Name} exited with code {exited.ExitCode}; stopping the cluster.");
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine("Stopping: the gateway, then the workers (they finish what they are generating), then Redis.");
            return 0;
        }
    }

    private async Task<string> SupplyModelAsync(CancellationToken cancellationToken)
    {
        var reference = model.ModelServers.Select(p => p.Model!.Reference).First();
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var plain = new ModelSupply(ModelSupply.DefaultModelsDirectory, LocalCluster.RepoRoot, options.ModelBaseUrl, new ModelDownloader(http, new PlainProgress()));
        var downloads = reference.IsDownloadable && !plain.Candidates(reference).Any(File.Exists);
        if (!downloads || !StartupView.IsInteractive)
        {
            return await plain.ResolveAsync(reference, cancellationToken);
        }

        Console.WriteLine($"Downloading {reference.Source} into {plain.ModelsDirectory} (once; checked against its SHA-256)");
        return await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(reference.FileName, maxValue: 1);
                var bar = new ModelSupply(plain.ModelsDirectory, LocalCluster.RepoRoot, options.ModelBaseUrl,
                    new ModelDownloader(http, new CallbackProgress(p =>
                    {
                        task.MaxValue = p.Total ?? Math.Max(p.Received, 1);
                        task.Value = p.Received;
                    })));
                var path = await bar.ResolveAsync(reference, cancellationToken);
                task.Value = task.MaxValue;
                return path;
            });
    }

    private static void PrintReady(LocalCluster cluster, TimeSpan elapsed)
    {
        var redis = cluster.RedisConnectionString is { } connection
            ? $"{connection.Split(',')[0]}   (response cache, worker registry)   pid {cluster.RedisProcessId}"
            : "not started (redis-server not installed, or --no-redis): no cache, no registry";
        var workers = string.Join('\n', cluster.WorkerEndpoints.Select(w => $"  {w.Process.Name,-12}  {w.Grpc}   pid {w.Process.Id}"));
        var port = cluster.GatewayHttp.Port;
        Console.WriteLine($$"""

            SlmCluster is ready in {{elapsed.TotalSeconds:F1}} s
              dashboard     {{cluster.GatewayHttp}}
              gateway gRPC  {{cluster.GatewayGrpc}}   (slm.v1.Inference, grpc.health.v1.Health)
              gateway HTTP  {{cluster.GatewayHttp}}   (OpenAI API: /v1/chat/completions, /v1/completions, /v1/models; /health, /metrics)
              redis         {{redis}}
            {{workers}}
              gateway pid   {{cluster.Processes.Last().Id}}

            Try it:
              curl http://127.0.0.1:{{port}}/v1/completions -H 'Content-Type: application/json' -d '{"prompt":"Once upon a time","max_tokens":32}'
              node tests/IntegrationTests/interop/peer.js 127.0.0.1:{{cluster.GatewayGrpc.Port}} protos stream "Once upon a time" 64

            Press Ctrl-C to stop.
            """);
    }

    /// <summary>Download progress as a line per tenth, for output that is not a terminal.</summary>
    private sealed class PlainProgress : IProgress<DownloadProgress>
    {
        private int _shown = -1;

        public void Report(DownloadProgress value)
        {
            if (value.Total is not { } total || total == 0)
            {
                return;
            }

            var tenth = (int)(value.Received * 10 / total);
            if (tenth != _shown)
            {
                _shown = tenth;
                Console.WriteLine($"[apphost] downloading {value.FileName}: {tenth * 10}% of {total / (1024.0 * 1024.0):F1} MiB");
            }
        }
    }

    private sealed class CallbackProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}

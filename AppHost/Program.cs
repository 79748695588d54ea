using System.Diagnostics;
using System.Runtime.InteropServices;
using SlmCluster.AppHost.Orchestration;

var options = AppHostOptions.Parse(args, out var error);
if (options is null)
{
    Console.Error.WriteLine(error);
    return 2;
}

var modelPath = ModelLocator.Find(options.Model, LocalCluster.RepoRoot, out var looked);
if (modelPath is null)
{
    Console.Error.WriteLine(ModelLocator.NotFoundMessage(options.Model, looked));
    return 1;
}

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
Console.WriteLine($"Starting {options.Workers} workers serving {modelPath}");
await using var cluster = new LocalCluster(options, modelPath);
try
{
    await cluster.StartAsync(stopping.Token);
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

Console.WriteLine($"""

    SlmCluster is ready in {started.Elapsed.TotalSeconds:F1} s
      gateway gRPC  {cluster.GatewayGrpc}   (slm.v1.Inference, grpc.health.v1.Health)
      gateway HTTP  {cluster.GatewayHttp}   (OpenAI API: /v1/chat/completions, /v1/completions, /v1/models; /health)
      redis         {(cluster.RedisConnectionString is { } redis ? $"{redis.Split(',')[0]}   (response cache, worker registry)   pid {cluster.RedisProcessId}" : "not started (redis-server not installed, or --no-redis): no cache, no registry")}
    {string.Join("\n", cluster.WorkerEndpoints.Select(w => $"  {w.Process.Name,-12}  {w.Grpc}   pid {w.Process.Id}"))}
      gateway pid   {cluster.Processes.Last().Id}

    Try it (a grpc-js client; ./build.sh test installs it, or run npm ci in tests/IntegrationTests/interop):
      node tests/IntegrationTests/interop/peer.js 127.0.0.1:{cluster.GatewayGrpc.Port} protos stream "Once upon a time" 64

    Press Ctrl-C to stop.
    """);

try
{
    var exited = await cluster.AnyExitedAsync(stopping.Token);
    Console.Error.WriteLine($"error: {exited.Name} exited with code {exited.ExitCode}; stopping the cluster.");
    return 1;
}
catch (OperationCanceledException)
{
    Console.WriteLine("Stopping: gateway, then workers.");
    return 0;
}

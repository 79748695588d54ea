using System.Globalization;
using Microsoft.Extensions.Logging;
using SlmCluster.AppHost.Orchestration;
using SlmCluster.Bench;
using SlmCluster.Bench.Load;
using SlmCluster.Bench.Reports;
using SlmCluster.Bench.Targets;
using SlmCluster.Inference;

var settings = BenchSettings.Parse(args, out var error);
if (settings is null)
{
    Console.Error.WriteLine(error);
    return 2;
}

if (!File.Exists(settings.ModelPath))
{
    Console.Error.WriteLine($"error: model {settings.ModelPath} not found; pass --model or set SLM_MODELS_DIR");
    return 1;
}

// Prompts differ per request so that no run is flattered by prompt-prefix reuse.
string[] prompts = [.. Enumerable.Range(0, 64).Select(i => string.Create(CultureInfo.InvariantCulture, $"Request {i}: once upon a time there was a story number {i * 7919 % 1000} about"))];
Console.WriteLine($"model {Path.GetFileName(settings.ModelPath)}, {settings.Threads} threads, {settings.Slots} slots, {settings.MaxTokens} tokens/request, concurrency {string.Join(",", settings.Concurrency)}");

var results = new List<RunResult>();
async Task MeasureAsync(IBenchTarget target)
{
    foreach (var concurrency in settings.Concurrency)
    {
        var result = await new ClosedLoopRun(target, concurrency, settings.RequestsPerClient, settings.MaxTokens, prompts).ExecuteAsync(CancellationToken.None);
        Console.WriteLine($"  {result.Target,-8} c={concurrency,-3} {result.TokensPerSecond,8:F1} tok/s  TTFT p50 {result.TtftP50Ms:F1} ms  E2E p50 {result.E2eP50Ms:F1} ms");
        results.Add(result);
    }
}

if (settings.Targets.Contains("engine"))
{
    using var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning));
    await using var engine = new EngineTarget(LlamaEngine.Start(new EngineOptions
    {
        ModelPath = settings.ModelPath,
        Threads = settings.Threads,
        Slots = settings.Slots,
        MaxTokensLimit = Math.Max(4096, settings.MaxTokens),
    }, loggerFactory));
    await MeasureAsync(engine);
}

if (settings.Targets.Contains("worker") || settings.Targets.Contains("gateway"))
{
    var cluster = new LocalCluster(new AppHostOptions
    {
        Model = settings.ModelPath,
        Workers = 1,
        Threads = settings.Threads,
        Slots = settings.Slots,
        GrpcPort = LocalCluster.FreePort(),
        HttpPort = LocalCluster.FreePort(),
        Quiet = true,
    }, settings.ModelPath);
    await using (cluster)
    {
        await cluster.StartAsync(CancellationToken.None);
        var (workerProcess, workerGrpc) = cluster.WorkerEndpoints[0];
        if (settings.Targets.Contains("worker"))
        {
            await using var worker = new GrpcTarget("worker", workerGrpc, workerProcess.Id);
            await MeasureAsync(worker);
        }

        if (settings.Targets.Contains("gateway"))
        {
            await using var gateway = new GrpcTarget("gateway", cluster.GatewayGrpc, workerProcess.Id);
            await MeasureAsync(gateway);
        }
    }
}

if (settings.Targets.Contains("openai"))
{
    if (settings.OpenAiUrl is null)
    {
        Console.Error.WriteLine("error: --targets openai needs --openai-url");
        return 2;
    }

    await using var openAi = new OpenAiTarget(settings.OpenAiUrl, settings.OpenAiModel);
    await MeasureAsync(openAi);
}

var report = new BenchReport(settings, results);
Console.WriteLine();
Console.WriteLine(report.ToTable());
foreach (var concurrency in settings.Concurrency)
{
    var baseline = results.FirstOrDefault(r => r.Target == "engine" && r.Concurrency == concurrency);
    foreach (var other in results.Where(r => r.Target != "engine" && r.Concurrency == concurrency && baseline is not null))
    {
        Console.WriteLine($"  c={concurrency}: {other.Target} / engine = {other.TokensPerSecond / baseline!.TokensPerSecond:F3} x tok/s");
    }
}

var single = results.Where(r => r.Concurrency == 1).ToDictionary(r => r.Target);
foreach (var result in results.Where(r => r.Concurrency > 1 && single.ContainsKey(r.Target)))
{
    Console.WriteLine($"  {result.Target}: c={result.Concurrency} / c=1 = {result.TokensPerSecond / single[result.Target].TokensPerSecond:F2} x tok/s");
}

var stem = report.Write(settings.ResultsDirectory);
Console.WriteLine($"wrote {stem}.json and {stem}.md");
return 0;


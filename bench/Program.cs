using System.Globalization;
using SlmCluster.Bench;
using SlmCluster.Bench.Reports;
using SlmCluster.Bench.Scenarios;

if (args.Length > 0 && args[0] == SlmCluster.Bench.Floor.FloorPath.SiloArgument)
{
    return await SlmCluster.Bench.Floor.FloorPath.RunSiloAsync(args);
}

var settings = BenchSettings.Parse(args, out var error);
if (settings is null)
{
    Console.Error.WriteLine(error);
    return 2;
}

foreach (var model in new[] { settings.ModelPath, settings.SmallModelPath })
{
    if (!File.Exists(model))
    {
        Console.Error.WriteLine($"error: model {model} not found; pass --model / --small-model or set SLM_MODELS_DIR");
        return 1;
    }
}

// Prompts differ per request so that no run is flattered by prompt-prefix reuse or the response cache, and have
// the same shape (fixed-width numbers), so that their prefill costs the same: on one thread every prompt token of
// the bench model costs ~4 ms, which would otherwise drown a 1 ms comparison.
string[] prompts = [.. Enumerable.Range(0, 1024).Select(i => string.Create(CultureInfo.InvariantCulture, $"Request {i:D4}: once upon a time there was a story number {i * 7919 % 100000:D5} about"))];
Console.WriteLine($"SlmCluster bench on {Environment.ProcessorCount} cores, scenarios {string.Join(",", settings.Scenarios)}");
var context = new BenchContext(settings, prompts);
foreach (var scenario in settings.Scenarios)
{
    switch (scenario)
    {
        case "engine": await Scenarios.EngineAsync(context); break;
        case "apphost": await AppHostScenario.RunAsync(context); break;
        case "gateway-overhead": await Scenarios.GatewayOverheadAsync(context, prompts); break;
        case "ollama-api": await OllamaApiScenario.RunAsync(context, prompts); break;
        case "scaling": await Scenarios.ScalingAsync(context); break;
        case "cache": await Scenarios.CacheAsync(context, prompts); break;
        case "cascade": await CascadeScenario.RunAsync(context); break;
        case "structured": await StructuredScenario.RunAsync(context); break;
        case "serving-cost": await ServingCostScenario.RunAsync(context); break;
        case "embeddings": await EmbeddingsScenario.RunAsync(context); break;
        default:
            Console.Error.WriteLine($"unknown scenario {scenario}; known: {string.Join(", ", Scenarios.All)}");
            return 2;
    }
}

var report = new BenchReport(settings, context.Results, context.Checks, context.Notes);
Console.WriteLine();
Console.WriteLine(report.ToTable());
foreach (var check in context.Checks)
{
    Console.WriteLine(check);
}

foreach (var note in context.Notes)
{
    Console.WriteLine(note);
}

var stem = report.Write(settings.ResultsDirectory);
Console.WriteLine($"wrote {stem}.json and {stem}.md");
return 0;

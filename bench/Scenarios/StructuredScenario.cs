using System.Text.Json;
using Microsoft.Extensions.Logging;
using SlmCluster.Bench.Load;
using SlmCluster.Bench.Targets;
using SlmCluster.Inference;
using SlmCluster.StructuredOutput;

namespace SlmCluster.Bench.Scenarios;

/// <summary>
/// Structured output's cost (issue 30): the same requests with a JSON Schema and without, on the engine in process and
/// through the front door's OpenAI API, and, given <c>--openai-url</c>, llama-server's <c>json_schema</c> on the same
/// model, threads and slots, in interleaved rounds. The schema is one long string, so a request runs to max_tokens
/// under the grammar as it does without (the bench model's random weights never close the quote by choice) and the
/// tokens/s compare like for like. The engine's own grammar totals give the rejection rate and the grammar time per token.
/// </summary>
internal static class StructuredScenario
{
    /// <summary>An object with one string longer than any run's answer: the grammar stays open to max_tokens.</summary>
    public const string Schema = """{"type":"object","properties":{"story":{"type":"string","maxLength":1900}},"required":["story"]}""";

    public static async Task RunAsync(BenchContext context)
    {
        var s = context.Settings;
        Console.WriteLine($"scenario structured: {Path.GetFileName(s.ModelPath)}, {s.Threads} threads, {s.Slots} slots, {s.MaxTokens} tokens, " +
            $"{s.Rounds} interleaved rounds of {s.RequestsPerClient} request(s) per client, schema {Schema}");
        var grammar = JsonSchemaGrammar.Convert(Schema).Text;
        using var schema = JsonDocument.Parse(Schema);
        using var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning));
        var engineOptions = new EngineOptions
        {
            ModelPath = s.ModelPath,
            Threads = s.Threads,
            Slots = s.Slots,
            ContextSize = s.ContextSize,
            MaxTokensLimit = Math.Max(4096, s.MaxTokens),
        };
        // Two engines, so that the constrained one's grammar totals are its own.
        var constrainedEngine = LlamaEngine.Start(engineOptions, loggerFactory);
        await using var constrained = new EngineTarget(constrainedEngine, "engine, json schema", grammar);
        await using var free = new EngineTarget(LlamaEngine.Start(engineOptions, loggerFactory), "engine, free text");
        await using var cluster = context.Cluster(workers: 1, threads: s.Threads, slots: s.Slots, contextSize: s.ContextSize);
        await cluster.StartAsync(CancellationToken.None);
        var jsonSchema = new Dictionary<string, object?> { ["json_schema"] = schema.RootElement };
        await using var frontDoor = new OpenAiTarget(cluster.GatewayHttp, null, jsonSchema, "front door, json schema");
        await using var peer = s.OpenAiUrl is { } url ? new OpenAiTarget(url, s.OpenAiModel, jsonSchema, "llama-server, json schema") : null;
        IBenchTarget[] targets = peer is null ? [free, constrained, frontDoor] : [free, constrained, frontDoor, peer];
        var arms = s.Concurrency.SelectMany(c => targets.Select(t => new Arm(t, c))).ToArray();
        int Index(IBenchTarget t, int c) => Array.FindIndex(arms, a => a.Target == t && a.Concurrency == c);
        var before = constrainedEngine.GrammarStatistics;
        var run = await new InterleavedRun(arms, s.Rounds, s.RequestsPerClient, s.MaxTokens, context.Prompts, s.WarmUp).ExecuteAsync(CancellationToken.None);
        foreach (var result in run.Results)
        {
            context.Record(result);
        }

        void Ratio(string description, int a, int b, double target)
        {
            var (median, min, max) = run.Ratio(a, b);
            context.Check(new TargetCheck("structured", $"{description} (median of {s.Rounds} rounds; range {min:F3}-{max:F3})", median, "x", target, true));
        }

        foreach (var c in s.Concurrency)
        {
            Ratio($"engine json schema / free text tok/s at c={c}", Index(constrained, c), Index(free, c), 0.90);
            if (peer is not null)
            {
                Ratio($"front door json schema / {peer.Name} tok/s at c={c}", Index(frontDoor, c), Index(peer, c), 1.1);
            }
        }

        var g = constrainedEngine.GrammarStatistics;
        var tokens = g.Tokens - before.Tokens;
        var resamples = g.Resamples - before.Resamples;
        var seconds = g.Seconds - before.Seconds;
        if (tokens > 0)
        {
            context.Note($"structured: engine grammar time {seconds * 1000 / tokens:F3} ms per token over {tokens} tokens; " +
                $"{100.0 * resamples / tokens:F1} % of sampled tokens rejected (each a second pick: the top-16 tests of a greedy request, then a " +
                $"mask over the whole vocabulary if none is allowed), {(resamples > 0 ? seconds * 1000 / resamples : 0):F3} ms of grammar time " +
                "per rejection (the single-token tests of every pick included)");
        }
    }
}

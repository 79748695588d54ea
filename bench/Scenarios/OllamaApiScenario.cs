using SlmCluster.Bench.Cluster;
using SlmCluster.Bench.Load;
using SlmCluster.Bench.Targets;

namespace SlmCluster.Bench.Scenarios;

/// <summary>
/// The Ollama API against the OpenAI API on one gateway: the same 16-token raw-prompt request streamed through
/// <c>/api/generate</c> and <c>/v1/completions</c>, alternating, so what differs is only the front door's adapter.
/// </summary>
internal static class OllamaApiScenario
{
    private const int Tokens = 16;

    public static async Task RunAsync(BenchContext context, IReadOnlyList<string> prompts)
    {
        var s = context.Settings;
        Console.WriteLine($"scenario ollama-api: {Tokens}-token requests, alternating /v1/completions and /api/generate on one gateway, 1 compute thread on its own core, {Path.GetFileName(s.ModelPath)}");
        // As gateway-overhead places it: the model's thread alone on its core, so neither arm's first token waits for it.
        var placement = CoreAffinity.CanSeparate ? CorePlacement.ModelThreadApart : CorePlacement.Unpinned;
        await using var cluster = context.Cluster(workers: 1, threads: 1, slots: 1, placement);
        await cluster.StartAsync(CancellationToken.None);
        var model = Path.GetFileNameWithoutExtension(s.ModelPath);
        await using var openAi = new OpenAiTarget(new Uri(cluster.GatewayHttp, "/"), model);
        await using var ollama = new OllamaTarget(new Uri(cluster.GatewayHttp, "/"), model);
        // Never the same prompt twice in a row, so neither arm finds the other's prompt in the KV cache.
        var run = new PairedRun(openAi, ollama, s.Pairs, Tokens, prompts, prompts.Reverse().ToArray());
        var (o, a) = await run.ExecuteAsync(CancellationToken.None);
        context.Record(o);
        context.Record(a);
        Console.WriteLine($"  time to first token p50: OpenAI API {o.TtftP50Ms:F3} ms, Ollama API {a.TtftP50Ms:F3} ms; end to end p50 {o.E2eP50Ms:F3} / {a.E2eP50Ms:F3} ms");
        context.Check(new TargetCheck("ollama-api", $"time to first token, Ollama API - OpenAI API, median pair difference ({s.Pairs} pairs; p50 difference {a.TtftP50Ms - o.TtftP50Ms:F3} ms)",
            run.MedianPairFirstTokenDifferenceMs, "ms", 0.5, false));
    }
}

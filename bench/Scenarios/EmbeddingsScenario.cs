using SlmCluster.Bench.Cluster;
using SlmCluster.Bench.Load;
using SlmCluster.Bench.Reports;
using SlmCluster.Bench.Targets;
using SlmCluster.Settings;

namespace SlmCluster.Bench.Scenarios;

/// <summary>
/// Embeddings (issue 31): requests of 64 inputs of about 32 tokens to the front door's <c>/v1/embeddings</c>, against
/// llama-server <c>--embeddings</c> on the same model, threads and batch size (<c>--openai-url</c>), at each concurrency in
/// interleaved rounds (inputs/s, target 1.1 x); then generation on the same worker (which serves both) alone and under a
/// steady embedding load, alternated round by round: tokens/s and time per output token, with the bound that keeps them
/// fair (Worker:EmbeddingTokensPerGenerationToken, 1: an embedding token per token generation decodes).
/// </summary>
internal static class EmbeddingsScenario
{
    private const int GenerationConcurrency = 4;

    public static async Task RunAsync(BenchContext context)
    {
        var s = context.Settings;
        var model = Path.GetFileNameWithoutExtension(s.ModelPath);
        Console.WriteLine($"scenario embeddings: {model}, {s.Threads} threads, {s.Slots} slots, embedding batch 512, " +
            $"{EmbeddingsTarget.InputsPerRequest} inputs per request, {s.Rounds} interleaved rounds of {s.RequestsPerClient} request(s) per client");
        await using var cluster = new BenchCluster(new BenchClusterOptions(s.ModelPath, 1, s.Threads, s.Slots, CorePlacement.Unpinned, s.ContextSize,
            WorkerEnvironment: new Dictionary<string, string> { [ClusterSettings.Keys.Worker.Serves] = "both" }));
        await cluster.StartAsync(CancellationToken.None);
        await using var frontDoor = new EmbeddingsTarget("front door /v1/embeddings", cluster.GatewayHttp, model);
        await using var peer = s.OpenAiUrl is { } url ? new EmbeddingsTarget($"peer {url.Authority} /v1/embeddings", url, s.OpenAiModel) : null;
        IBenchTarget[] targets = peer is null ? [frontDoor] : [frontDoor, peer];
        var arms = s.Concurrency.SelectMany(c => targets.Select(t => new Arm(t, c))).ToArray();
        var run = await new InterleavedRun(arms, s.Rounds, s.RequestsPerClient, s.MaxTokens, context.Prompts, s.WarmUp).ExecuteAsync(CancellationToken.None);
        foreach (var result in run.Results)
        {
            // "tok/s" of these arms is inputs/s: a sample counts the inputs embedded.
            context.Record(result with { Target = result.Target + " (inputs/s)" });
        }

        context.Note($"front door: {frontDoor.LastTokensPerInput:F1} tokens per input" +
            (peer is null ? "; no --openai-url, so no llama-server comparison" : $"; peer: {peer.LastTokensPerInput:F1}"));
        if (peer is not null)
        {
            foreach (var c in s.Concurrency)
            {
                var (median, min, max) = run.Ratio(Array.FindIndex(arms, a => a.Target == frontDoor && a.Concurrency == c),
                    Array.FindIndex(arms, a => a.Target == peer && a.Concurrency == c));
                context.Check(new TargetCheck("embeddings",
                    $"front door / llama-server --embeddings inputs/s at c={c} (median of {s.Rounds} rounds; range {min:F3}-{max:F3})", median, "x", 1.1, true));
            }
        }

        await GenerationUnderEmbeddingsAsync(context, cluster, model);
    }

    /// <summary>Generation alone, then beside a closed loop of embedding requests, alternated for every round.</summary>
    private static async Task GenerationUnderEmbeddingsAsync(BenchContext context, BenchCluster cluster, string model)
    {
        var s = context.Settings;
        await using var generation = new GrpcTarget("generation", cluster.GatewayGrpc, cluster.Workers[0].Process.Id);
        await using var background = new EmbeddingsTarget("embedding mix", cluster.GatewayHttp, model);
        var speed = new List<double>();
        var pace = new List<double>();
        var refused = 0;
        for (var round = 0; round < s.Rounds; round++)
        {
            var alone = await context.MeasureAsync(generation, GenerationConcurrency, s.MaxTokens, s.RequestsPerClient, label: "generation alone");
            using var stop = new CancellationTokenSource();
            var mix = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        await background.RunAsync("", 0, stop.Token);
                    }
                    catch (HttpRequestException)
                    {
                        // A refused embedding request (a worker briefly out of routing on a loaded machine) is the mix's
                        // loss, not the measurement's: counted, and the load goes on.
                        Interlocked.Increment(ref refused);
                    }
                }
            });
            RunResult mixed;
            try
            {
                mixed = await context.MeasureAsync(generation, GenerationConcurrency, s.MaxTokens, s.RequestsPerClient, label: "generation + embeddings");
            }
            finally
            {
                await stop.CancelAsync();
                try
                {
                    await mix;
                }
                catch (OperationCanceledException)
                {
                    // The loop's last request, cut short.
                }
            }

            speed.Add(mixed.TokensPerSecond / alone.TokensPerSecond);
            pace.Add(mixed.TpotP50Ms / alone.TpotP50Ms);
        }

        context.Note($"generation tok/s beside a steady embedding load / alone at c={GenerationConcurrency}: median {InterleavedResult.Median(speed):F3} " +
            $"(range {speed.Min():F3}-{speed.Max():F3}); time per output token p50 mixed / alone: median {InterleavedResult.Median(pace):F3} " +
            $"(range {pace.Min():F3}-{pace.Max():F3}); bound: embeddings decode at most one token per token generation decodes " +
            "(Worker:EmbeddingTokensPerGenerationToken 1), so generation waits at most one embedding decode of at most 512 tokens between its steps" +
            (refused > 0 ? $"; {refused} embedding requests of the mix were refused" : ""));
    }
}

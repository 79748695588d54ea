using System.Diagnostics;
using SlmCluster.Inference;

namespace SlmCluster.Bench.Targets;

/// <summary>The engine driven directly through the binding, in this process: the baseline. Given a GBNF grammar, every request is decoded under it.</summary>
internal sealed class EngineTarget(LlamaEngine engine, string name = "engine in process", string? grammar = null) : IBenchTarget
{
    public string Name => name;

    public int? ServingProcessId => Environment.ProcessId;

    public async Task<RequestSample> RunAsync(string prompt, int maxTokens, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        TimeSpan? first = null;
        var tokens = 0;
        GenerationResult? result = null;
        await foreach (var update in engine.GenerateAsync(new GenerationRequest
        {
            Prompt = prompt,
            MaxTokens = maxTokens,
            IgnoreEndOfSequence = true,
            Grammar = grammar,
        }, cancellationToken))
        {
            if (update.Text.Length > 0)
            {
                first ??= Stopwatch.GetElapsedTime(started);
            }

            if (update.Final is { } final)
            {
                tokens = final.CompletionTokens;
                result = final;
            }
        }

        var total = Stopwatch.GetElapsedTime(started);
        return new RequestSample(first ?? total, total, tokens, result?.Total, result?.TimeToFirstToken);
    }

    public ValueTask DisposeAsync() => engine.DisposeAsync();
}

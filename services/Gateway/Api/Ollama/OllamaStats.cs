using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>
/// The closing chunk's counts and durations, in nanoseconds as Ollama reports them. The worker's time to first token
/// stands for the prompt's evaluation and the rest of its time for the answer's; models are loaded when their worker
/// starts, so no request waits for a load.
/// </summary>
internal readonly record struct OllamaStats(string DoneReason, long TotalNs, long LoadNs, int PromptEvalCount, long PromptEvalNs, int EvalCount, long EvalNs)
{
    private const double NanosecondsPerMillisecond = 1e6;

    public static OllamaStats From(FinishReason finish, Usage? usage, Served? served, TimeSpan total)
    {
        var firstToken = served?.TimeToFirstTokenMs ?? 0;
        var worker = served?.TotalMs ?? 0;
        return new OllamaStats(
            DoneReasonOf(finish),
            (long)(total.TotalMilliseconds * NanosecondsPerMillisecond),
            0,
            usage?.PromptTokens ?? 0,
            (long)(firstToken * NanosecondsPerMillisecond),
            usage?.CompletionTokens ?? 0,
            (long)(Math.Max(0, worker - firstToken) * NanosecondsPerMillisecond));
    }

    private static string DoneReasonOf(FinishReason finish) => finish switch
    {
        FinishReason.Length => "length",
        FinishReason.Cancelled => "cancelled",
        _ => "stop",
    };
}

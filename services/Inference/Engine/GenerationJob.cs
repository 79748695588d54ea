using System.Diagnostics;
using System.Threading.Channels;

namespace SlmCluster.Inference;

/// <summary>
/// One admitted request on its way through the engine: the tokenized prompt, the caller's cancellation, and the
/// channel the engine thread writes text pieces to while the caller's enumeration reads them.
/// </summary>
internal sealed class GenerationJob
{
    private readonly Channel<GenerationUpdate> _updates = Channel.CreateUnbounded<GenerationUpdate>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _cancellation;

    public GenerationJob(GenerationRequest request, int[] promptTokens, long startedTimestamp, CancellationToken callerToken, GrammarSampler? grammar = null)
    {
        Request = request;
        PromptTokens = promptTokens;
        Grammar = grammar;
        StartedTimestamp = startedTimestamp;
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(callerToken);
        CancellationToken = _cancellation.Token;
    }

    public GenerationRequest Request { get; }

    public int[] PromptTokens { get; }

    /// <summary>The adapters the request runs with: its decodes run under them, its KV entries are keyed by them.</summary>
    public AdapterSet Adapters { get; init; } = AdapterSet.None;

    /// <summary>
    /// The request's grammar state, made (and checked) on the caller's thread so a long grammar never holds up the
    /// engine thread; used by the engine thread only, and freed when the request ends.
    /// </summary>
    public GrammarSampler? Grammar { get; }

    /// <summary><see cref="Stopwatch"/> timestamp of the request's start.</summary>
    public long StartedTimestamp { get; }

    /// <summary>Cancelled by the caller's token or when the caller stops reading.</summary>
    public CancellationToken CancellationToken { get; }

    public ChannelReader<GenerationUpdate> Updates => _updates.Reader;

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(StartedTimestamp);

    /// <summary>Engine thread: a piece of text, with the logprobs of the tokens it completes when they were asked for.</summary>
    public void Publish(string text, IReadOnlyList<GeneratedToken>? logprobs = null)
    {
        if (text.Length > 0)
        {
            _updates.Writer.TryWrite(new GenerationUpdate(text, null) { Logprobs = logprobs });
        }
    }

    /// <summary>Engine thread: the final update, then the end of the stream.</summary>
    public void Complete(string finalText, GenerationResult result, IReadOnlyList<GeneratedToken>? logprobs = null)
    {
        Grammar?.Dispose();
        _updates.Writer.TryWrite(new GenerationUpdate(finalText, result) { Logprobs = logprobs });
        _updates.Writer.TryComplete();
    }

    /// <summary>Ends the stream with an error; the caller's enumeration throws it.</summary>
    public void Fail(Exception error)
    {
        Grammar?.Dispose();
        _updates.Writer.TryComplete(error);
    }

    /// <summary>
    /// Caller side: the enumeration ended (normally, by error or by the caller leaving); stops the work. The grammar
    /// stays until the engine ends the request (<see cref="Complete"/> or <see cref="Fail"/>): it may be sampling with it.
    /// </summary>
    public void Abandon()
    {
        _cancellation.Cancel();
        _cancellation.Dispose();
    }
}

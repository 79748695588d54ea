using SlmCluster.Inference.Native;

namespace SlmCluster.Inference;

/// <summary>
/// One llama.cpp sequence id and what the engine knows about it: the tokens whose KV entries it holds (kept after
/// a request ends, so a later request with the same prefix can reuse them) and, while a request runs in it, that
/// request's sampler chain and text state. Touched only by the engine thread.
/// </summary>
internal sealed class SequenceSlot
{
    private readonly int[] _tokens;
    private HeldLogprobs? _logprobs;
    private LlamaTokenData[]? _candidates;

    public SequenceSlot(int id, int capacity)
    {
        Id = id;
        _tokens = new int[capacity];
    }

    /// <summary>The llama.cpp sequence id.</summary>
    public int Id { get; }

    /// <summary>Tokens [0, <see cref="CachedCount"/>) are in the KV cache; [<see cref="CachedCount"/>, <see cref="Length"/>) wait to be decoded.</summary>
    public Span<int> Tokens => _tokens;

    public int CachedCount { get; private set; }

    public int Length { get; private set; }

    /// <summary>The adapter set its cached KV entries were computed under: only a request with the same set reuses them.</summary>
    public AdapterSet CachedUnder { get; private set; } = AdapterSet.None;

    /// <summary>Engine step of the request's last decode (or its admission): the longest waiting adapter set goes next.</summary>
    public long LastBatchStep { get; set; }

    /// <summary>Engine step at which the slot was last used (least recently used caches are evicted first).</summary>
    public long LastUsedStep { get; set; }

    // ---- the request running in the slot, if any ----

    public GenerationJob? Job { get; private set; }

    public SafeLlamaSamplerHandle? Sampler { get; private set; }

    /// <summary>Order of admission: prompt chunks go to the oldest prefilling request first.</summary>
    public long AdmissionOrder { get; private set; }

    public int PromptLength { get; private set; }

    public int ReusedTokens { get; private set; }

    public int CompletionTokens { get; set; }

    public TimeSpan TimeToFirstToken { get; set; }

    public IncrementalUtf8Decoder Decoder { get; } = new();

    public StopStringMatcher Stops { get; private set; } = new([]);

    /// <summary>The request's token logprobs waiting for their text, or null when it did not ask for them.</summary>
    public HeldLogprobs? Logprobs { get; private set; }

    /// <summary>Times the grammar rejected the chain's pick and the whole vocabulary was masked (grammar requests).</summary>
    public int GrammarResamples { get; set; }

    /// <summary><see cref="System.Diagnostics.Stopwatch"/> ticks spent in the grammar (grammar requests).</summary>
    public long GrammarTicks { get; set; }

    /// <summary>Scratch for token bytes; grown when a token's text is longer.</summary>
    public byte[] PieceBuffer = new byte[64];

    // ---- the current batch ----

    /// <summary>Tokens this slot put into the batch being decoded.</summary>
    public int TokensInBatch { get; set; }

    /// <summary>Batch index whose logits this slot samples from after the decode, or -1.</summary>
    public int OutputIndex { get; set; } = -1;

    public bool IsBusy => Job is not null;

    /// <summary>Still feeding the prompt into the KV cache.</summary>
    public bool IsPrefilling => Job is not null && CachedCount < PromptLength;

    /// <summary>Tokens still to decode (the prompt's rest while prefilling, else the one token just sampled).</summary>
    public int PendingCount => Length - CachedCount;

    /// <summary>How many leading tokens of <paramref name="prompt"/> this slot's KV cache already holds.</summary>
    public int CommonPrefixLength(ReadOnlySpan<int> prompt) => _tokens.AsSpan(0, CachedCount).CommonPrefixLength(prompt);

    /// <summary>
    /// Starts <paramref name="job"/> here, keeping the first <paramref name="reused"/> cached tokens (the caller has
    /// already removed the rest from the KV cache).
    /// </summary>
    public void Begin(GenerationJob job, SafeLlamaSamplerHandle sampler, int reused, long admissionOrder)
    {
        ReadOnlySpan<int> prompt = job.PromptTokens;
        prompt.CopyTo(_tokens);
        CachedCount = reused;
        Length = prompt.Length;
        PromptLength = prompt.Length;
        ReusedTokens = reused;
        Job = job;
        CachedUnder = job.Adapters;
        Sampler = sampler;
        AdmissionOrder = admissionOrder;
        CompletionTokens = 0;
        TimeToFirstToken = TimeSpan.Zero;
        Decoder.Reset();
        Stops = new StopStringMatcher(job.Request.Stop ?? []);
        if (job.Request.WantsLogprobs)
        {
            _logprobs ??= new HeldLogprobs();
            _logprobs.Reset();
            Logprobs = _logprobs;
        }
        else
        {
            Logprobs = null;
        }
        GrammarResamples = 0;
        GrammarTicks = 0;
        TokensInBatch = 0;
        OutputIndex = -1;
    }

    /// <summary>
    /// One candidate per vocabulary token, for sampling under a grammar; made the first time a grammar request runs
    /// here and kept for the next (requests without a grammar never need it).
    /// </summary>
    public Span<LlamaTokenData> Candidates(int vocabSize)
    {
        if (_candidates is null || _candidates.Length != vocabSize)
        {
            _candidates = new LlamaTokenData[vocabSize];
        }
        return _candidates;
    }

    /// <summary>The batch was decoded: its tokens are now in the KV cache.</summary>
    public void CommitBatch()
    {
        CachedCount += TokensInBatch;
        TokensInBatch = 0;
    }

    /// <summary>Queues a sampled token for the next decode.</summary>
    public void Append(int token) => _tokens[Length++] = token;

    /// <summary>Keeps only the first <paramref name="count"/> cached tokens (the caller removed the rest from the KV cache).</summary>
    public void Truncate(int count)
    {
        CachedCount = Math.Min(CachedCount, count);
        Length = CachedCount;
    }

    /// <summary>Ends the request; the cached tokens stay for reuse.</summary>
    public void End(long step)
    {
        Job = null;
        Sampler?.Dispose();
        Sampler = null;
        Logprobs = null;
        Length = CachedCount;
        TokensInBatch = 0;
        OutputIndex = -1;
        LastUsedStep = step;
    }
}

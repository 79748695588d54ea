using Microsoft.Extensions.Logging;
using SlmCluster.Inference.Native;

namespace SlmCluster.Inference;

/// <summary>
/// The engine thread's embedding side: a second llama_context beside the generation one, made with
/// <c>embeddings = true</c> and a pooling type. Each <see cref="Step"/> packs waiting inputs, oldest request first and
/// across requests, into one <c>llama_decode</c> of at most <see cref="EmbeddingOptions.BatchSize"/> tokens and
/// <see cref="EmbeddingOptions.MaxSequences"/> sequences (one sequence per input, every token an output as pooling
/// needs), reads each sequence's pooled vector and clears the cache for the next decode. Everything here runs on
/// the engine thread except <see cref="Enqueue"/> and <see cref="QueueDepth"/>.
/// </summary>
internal sealed unsafe class EmbeddingScheduler : IDisposable
{
    private readonly SafeLlamaContextHandle _context;
    private readonly IntPtr _memory;
    private readonly EmbeddingQueue _queue;
    private readonly EmbeddingOptions _options;
    private readonly ILogger _logger;
    private readonly List<EmbeddingJob> _running = [];
    private readonly (EmbeddingJob Job, int Input)[] _inBatch;
    private readonly int _width;
    private LlamaBatch _batch;
    /// <summary>Embedding tokens earned by generation steps and not yet spent (the fairness budget).</summary>
    private double _credit;
    private long _decodes;
    private long _tokens;
    private long _sharedDecodes;
    private long _sharedTokens;
    private long _generationTokensShared;

    private EmbeddingScheduler(SafeLlamaContextHandle context, EmbeddingOptions options, int width, Action wake, ILogger logger)
    {
        _context = context;
        _options = options;
        _width = width;
        _logger = logger;
        _memory = LlamaApi.llama_get_memory(context);
        _queue = new EmbeddingQueue(options.MaxQueue, wake);
        _inBatch = new (EmbeddingJob, int)[options.MaxSequences];
        _batch = LlamaApi.llama_batch_init(options.BatchSize, 0, 1);
    }

    /// <summary>The pooling the context uses (the model's own resolved).</summary>
    public EmbeddingPooling Pooling { get; private init; }

    /// <summary>Longest input in tokens.</summary>
    public int MaxInputTokens { get; private init; }

    /// <summary>Values in each full vector (the model's hidden size).</summary>
    public int Dimensions => _width;

    public int QueueDepth => _queue.Count;

    /// <summary>Makes the embedding context; the caller owns the result and disposes it after the engine thread ends.</summary>
    /// <exception cref="InferenceException">llama.cpp could not make the context.</exception>
    public static EmbeddingScheduler Create(LlamaModel model, EngineOptions engine, IntPtr threadpool, Action wake, ILogger logger)
    {
        EmbeddingOptions options = engine.Embedding;
        int trained = model.Metadata.ContextLength > 0 ? model.Metadata.ContextLength : int.MaxValue;
        int maxInput = Math.Min(options.BatchSize, trained);
        SafeLlamaContextHandle context = CreateContext(model, engine, options.Pooling, maxInput);
        if (options.Pooling == EmbeddingPooling.Model && LlamaApi.llama_pooling_type(context) is LlamaApi.PoolingNone or LlamaApi.PoolingRank)
        {
            // A generation model declares no pooling: its mean is the useful default (llama-server's --pooling mean).
            context.Dispose();
            context = CreateContext(model, engine, EmbeddingPooling.Mean, maxInput);
        }
        try
        {
            if (threadpool != IntPtr.Zero)
            {
                // The generation context's pool: both contexts decode on the one engine thread, never at once.
                LlamaApi.llama_attach_threadpool(context, threadpool, IntPtr.Zero);
            }
            var scheduler = new EmbeddingScheduler(context, options, model.Metadata.EmbeddingLength, wake, logger)
            {
                Pooling = (EmbeddingPooling)LlamaApi.llama_pooling_type(context),
                MaxInputTokens = maxInput,
            };
            EmbeddingLog.Started(logger, scheduler.Pooling, maxInput, options.MaxSequences, options.TokensPerGenerationToken);
            return scheduler;
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    private static SafeLlamaContextHandle CreateContext(LlamaModel model, EngineOptions engine, EmbeddingPooling pooling, int maxInput)
    {
        EmbeddingOptions options = engine.Embedding;
        LlamaContextParams parameters = LlamaApi.llama_context_default_params();
        // The cache holds one decode's inputs only: it is cleared after every decode.
        parameters.NCtx = (uint)maxInput;
        parameters.NBatch = (uint)options.BatchSize;
        // Pooling works within one micro-batch, so it is the whole batch.
        parameters.NUbatch = (uint)options.BatchSize;
        parameters.NSeqMax = (uint)options.MaxSequences;
        parameters.NThreads = engine.Threads;
        parameters.NThreadsBatch = engine.Threads;
        parameters.NoPerf = 1;
        parameters.Embeddings = 1;
        parameters.KvUnified = 1;
        parameters.PoolingType = pooling == EmbeddingPooling.Model ? LlamaApi.PoolingUnspecified : (int)pooling;

        LlamaNativeLog.TakeLastError();
        SafeLlamaContextHandle context = LlamaApi.llama_init_from_model(model.Handle, parameters);
        if (context.IsInvalid)
        {
            string? nativeError = LlamaNativeLog.TakeLastError();
            context.Dispose();
            throw new InferenceException(InferenceErrorKind.Internal,
                $"llama.cpp could not create an embedding context ({pooling} pooling, batch {options.BatchSize}) for {model.Metadata.FilePath}" +
                (nativeError is null ? "" : $": {nativeError}"));
        }
        return context;
    }

    /// <summary>Caller thread: false when the queue is full or closed.</summary>
    public bool Enqueue(EmbeddingJob job) => _queue.TryEnqueue(job);

    /// <summary>What the embedding side has decoded since the engine started; read from any thread.</summary>
    public EmbeddingStatistics Statistics => new(
        Interlocked.Read(ref _decodes), Interlocked.Read(ref _tokens), Interlocked.Read(ref _sharedDecodes),
        Interlocked.Read(ref _sharedTokens), Interlocked.Read(ref _generationTokensShared));

    /// <summary>
    /// Engine thread, after each generation step, with the tokens that step decoded (0: generation had nothing to
    /// decode). Decodes one batch of waiting inputs: as many as fit <see cref="EmbeddingOptions.BatchSize"/> when
    /// generation is idle, else as many as the budget its steps earned allows
    /// (<see cref="EmbeddingOptions.TokensPerGenerationToken"/>). True while inputs wait.
    /// </summary>
    public bool Step(int generationTokens)
    {
        Take();
        if (_running.Count == 0)
        {
            // Credit is earned only while embeddings wait: an idle spell saves nothing up for a later burst.
            _credit = 0;
            return false;
        }
        int budget = _options.BatchSize;
        if (generationTokens > 0)
        {
            _credit = Math.Min(_credit + generationTokens * _options.TokensPerGenerationToken, _options.BatchSize);
            Interlocked.Add(ref _generationTokensShared, generationTokens);
            budget = (int)_credit;
            if (NextInputTokens() > budget)
            {
                return true;
            }
        }
        try
        {
            int decoded = DecodeOneBatch(budget);
            Interlocked.Increment(ref _decodes);
            Interlocked.Add(ref _tokens, decoded);
            if (generationTokens > 0)
            {
                _credit -= decoded;
                Interlocked.Increment(ref _sharedDecodes);
                Interlocked.Add(ref _sharedTokens, decoded);
            }
        }
        catch (Exception ex) when (ex is not InferenceException)
        {
            EmbeddingLog.DecodeFailed(_logger, ex);
            FailRunning(new InferenceException(InferenceErrorKind.Internal, $"embedding failed: {ex.Message}", ex));
        }
        return _running.Count > 0 || _queue.Count > 0;
    }

    /// <summary>Tokens of the oldest input not decoded yet: the least a decode can hold.</summary>
    private int NextInputTokens()
    {
        foreach (EmbeddingJob job in _running)
        {
            if (job.Next < job.Inputs.Length)
            {
                return job.Inputs[job.Next].Length;
            }
        }
        return 0;
    }

    /// <summary>Moves waiting jobs to the running list and drops the ones nobody waits for any more.</summary>
    private void Take()
    {
        _running.RemoveAll(static job => job.IsFinished);
        while (_running.Count < _options.MaxSequences && _queue.TryDequeue(out EmbeddingJob job))
        {
            if (!job.IsFinished)
            {
                _running.Add(job);
            }
        }
    }

    /// <summary>Decodes the oldest waiting inputs that fit <paramref name="maxTokens"/>; the tokens it decoded.</summary>
    private int DecodeOneBatch(int maxTokens)
    {
        _batch.NTokens = 0;
        int sequences = 0;
        foreach (EmbeddingJob job in _running)
        {
            while (job.Next < job.Inputs.Length && sequences < _options.MaxSequences)
            {
                int[] tokens = job.Inputs[job.Next];
                if (_batch.NTokens + tokens.Length > maxTokens)
                {
                    break;
                }
                Add(tokens, sequences);
                _inBatch[sequences++] = (job, job.Next);
                job.Next++;
            }
            if (job.Next < job.Inputs.Length)
            {
                // Oldest first: a later request's inputs never overtake an earlier one's.
                break;
            }
        }

        if (sequences == 0)
        {
            return 0;
        }

        int status = LlamaApi.llama_decode(_context, _batch);
        try
        {
            if (status != 0)
            {
                string? nativeError = LlamaNativeLog.TakeLastError();
                var error = new InferenceException(InferenceErrorKind.Internal,
                    $"llama_decode of {sequences} embedding inputs ({_batch.NTokens} tokens) failed with status {status}" +
                    (nativeError is null ? "" : $": {nativeError}"));
                EmbeddingLog.DecodeFailed(_logger, error);
                for (int i = 0; i < sequences; i++)
                {
                    _inBatch[i].Job.Fail(error);
                }
                return _batch.NTokens;
            }
            for (int i = 0; i < sequences; i++)
            {
                (EmbeddingJob job, int input) = _inBatch[i];
                float* pooled = LlamaApi.llama_get_embeddings_seq(_context, i);
                if (pooled is null)
                {
                    job.Fail(new InferenceException(InferenceErrorKind.Internal, $"llama.cpp pooled no vector for sequence {i}"));
                    continue;
                }
                job.Vectors[input] = EmbeddingVectors.Normalized(new ReadOnlySpan<float>(pooled, _width), job.Dimensions);
            }
        }
        finally
        {
            if (_memory != IntPtr.Zero)
            {
                LlamaApi.llama_memory_clear(_memory, true);
            }
            Array.Clear(_inBatch, 0, sequences);
        }
        EmbeddingLog.Decoded(_logger, sequences, _batch.NTokens);
        foreach (EmbeddingJob job in _running)
        {
            if (job.Next == job.Inputs.Length && !job.IsFinished)
            {
                job.Complete();
            }
        }
        _running.RemoveAll(static job => job.IsFinished);
        return _batch.NTokens;
    }

    private void Add(int[] tokens, int sequence)
    {
        int index = _batch.NTokens;
        for (int position = 0; position < tokens.Length; position++, index++)
        {
            _batch.Token[index] = tokens[position];
            _batch.Pos[index] = position;
            _batch.NSeqId[index] = 1;
            _batch.SeqId[index][0] = sequence;
            // Pooling reads every token's state.
            _batch.Logits[index] = 1;
        }
        _batch.NTokens = index;
    }

    private void FailRunning(InferenceException error)
    {
        foreach (EmbeddingJob job in _running)
        {
            job.Fail(error);
        }
        _running.Clear();
        if (_memory != IntPtr.Zero)
        {
            LlamaApi.llama_memory_clear(_memory, true);
        }
    }

    /// <summary>After the engine thread has ended: every request still here is refused as Unavailable.</summary>
    public void FailAll()
    {
        var error = new InferenceException(InferenceErrorKind.Unavailable,
            "the inference engine shut down before the embeddings were made; retry on another worker");
        foreach (EmbeddingJob job in _queue.Close())
        {
            job.Fail(error);
        }
        FailRunning(error);
    }

    /// <summary>After the engine thread has ended and <see cref="FailAll"/>.</summary>
    public void Dispose()
    {
        if (_batch.Token is not null)
        {
            LlamaApi.llama_batch_free(_batch);
            _batch = default;
        }
        if (!_context.IsClosed)
        {
            LlamaApi.llama_detach_threadpool(_context);
        }
        _context.Dispose();
    }
}

using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using SlmCluster.Inference.Native;

namespace SlmCluster.Inference;

/// <summary>
/// Serves one model instance: one llama_context owned by one dedicated engine thread that runs a
/// <see cref="ContinuousBatchScheduler"/> (every running request advances in the same <c>llama_decode</c> per
/// step). Callers' requests are validated and tokenized on their own threads, wait in a bounded
/// <see cref="AdmissionQueue"/>, and stream text back through a channel per request.
/// </summary>
public sealed class LlamaEngine : IInferenceEngine
{
    /// <summary>Tokens per slot in the default KV cache size: room for a typical prompt and answer.</summary>
    public const int DefaultTokensPerSlot = 2048;

    /// <summary>Largest KV cache the default sizing picks (tokens); set <see cref="EngineOptions.ContextSize"/> for more.</summary>
    public const int MaxDefaultContextSize = 32768;

    /// <summary>The rule a request's grammar starts from, as llama-server's.</summary>
    public const string GrammarRoot = "root";

    private readonly LlamaModel _model;
    private readonly bool _ownsModel;
    private readonly SafeLlamaContextHandle _context;
    private readonly GgmlThreadpool? _threadpool;
    private readonly EngineOptions _options;
    private readonly ILogger _logger;
    private readonly AdmissionQueue _queue;
    private readonly ContinuousBatchScheduler _scheduler;
    private readonly EmbeddingScheduler? _embeddings;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;
    private readonly int _sequenceLimit;
    private readonly Dictionary<string, LoraAdapter> _adapters = new(StringComparer.Ordinal);
    private readonly List<AdapterLoadFailure> _adapterFailures = [];
    private int _disposed;

    private LlamaEngine(LlamaModel model, bool ownsModel, SafeLlamaContextHandle context, GgmlThreadpool? threadpool, EngineOptions options, ILogger logger)
    {
        _model = model;
        _ownsModel = ownsModel;
        _context = context;
        _threadpool = threadpool;
        _options = options;
        _logger = logger;
        int trainedContext = model.Metadata.ContextLength > 0 ? model.Metadata.ContextLength : int.MaxValue;
        // With a unified KV cache one sequence may use every cell, but not more positions than the model was trained on.
        _sequenceLimit = Math.Min((int)LlamaApi.llama_n_ctx_seq(context), trainedContext);
        _queue = new AdmissionQueue(options.MaxQueue);
        LoadAdapters(options.Adapters);
        _embeddings = options.Serves.HasFlag(ServedTasks.Embeddings)
            ? EmbeddingScheduler.Create(model, options, threadpool?.Handle ?? IntPtr.Zero, _queue.Wake, logger)
            : null;
        _scheduler = new ContinuousBatchScheduler(model, context, _queue, options.Slots, _sequenceLimit, UsesUnifiedKvCache(options), options.BatchInvariant, logger, _embeddings)
        {
            AdapterTurnSteps = options.AdapterTurnSteps,
        };
        _thread = new Thread(RunLoop) { IsBackground = true, Name = "llama-engine" };
    }

    public ModelMetadata Model => _model.Metadata;

    /// <summary>The adapters requests may choose (<see cref="GenerationRequest.Adapters"/>), in declaration order.</summary>
    public IReadOnlyList<LoraAdapter> Adapters => [.. _adapters.Values];

    /// <summary>Declared adapters refused at start, with the reason; the base serves without them.</summary>
    public IReadOnlyList<AdapterLoadFailure> AdapterFailures => _adapterFailures;

    /// <summary>Times the context's adapter set changed between decodes (each re-reserves llama.cpp's compute graph).</summary>
    public long AdapterSwitches => _scheduler.AdapterSwitches;

    /// <summary>The loaded model (shared, thread-safe for tokenizing and rendering).</summary>
    public LlamaModel LoadedModel => _model;

    /// <summary>Tokens one request can hold (prompt plus generated text).</summary>
    public int ContextSize => _sequenceLimit;

    /// <summary>Tokens the KV cache holds for all slots together (running requests and cached prefixes).</summary>
    public int KvCacheSize => _scheduler.TotalCells;

    /// <summary>Whether decodes run on a ggml threadpool kept for the engine's lifetime (false: llama.cpp makes one per decode).</summary>
    internal bool HasPersistentThreadpool => _threadpool is not null;

    /// <summary>Requests decoded together at most.</summary>
    public int Slots => _options.Slots;

    public int QueueDepth => _queue.Count;

    public int ActiveSequences => _scheduler.ActiveSequences;

    public GrammarStatistics GrammarStatistics => _scheduler.Grammar.Snapshot();

    public ServedTasks Serves => _options.Serves;

    public int EmbeddingDimensions => _model.Metadata.EmbeddingLength;

    /// <summary>Longest embedding input in tokens; 0 when the engine serves no embeddings.</summary>
    public int MaxEmbeddingInputTokens => _embeddings?.MaxInputTokens ?? 0;

    /// <summary>What the embedding side has decoded, and how much of it beside generation; zero when the engine serves no embeddings.</summary>
    public EmbeddingStatistics EmbeddingStatistics => _embeddings?.Statistics ?? default;

    /// <summary>The pooling of the embedding context (the model's own resolved); null when the engine serves no embeddings.</summary>
    public EmbeddingPooling? EmbeddingPooling => _embeddings?.Pooling;

    public double KvCacheUsage => Math.Clamp((double)_scheduler.UsedCells / Math.Max(1, _scheduler.TotalCells), 0, 1);

    /// <summary>Loads the model at <see cref="EngineOptions.ModelPath"/> and starts the engine; the engine owns the model.</summary>
    public static LlamaEngine Start(EngineOptions options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ValidateOptions(options);
        if (string.IsNullOrWhiteSpace(options.ModelPath))
        {
            throw new ArgumentException("EngineOptions.ModelPath is not set.", nameof(options));
        }
        LlamaModel model = LlamaModel.Load(new ModelLoadOptions { Path = options.ModelPath, GpuLayers = options.GpuLayers }, loggerFactory);
        try
        {
            return Start(model, ownsModel: true, options, loggerFactory);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Starts an engine over an already loaded model; the caller keeps ownership of the model and disposes it after the engine.</summary>
    public static LlamaEngine Start(LlamaModel model, EngineOptions options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ValidateOptions(options);
        return Start(model, ownsModel: false, options, loggerFactory);
    }

    /// <summary>KV cache tokens for <paramref name="options"/>: <see cref="EngineOptions.ContextSize"/>, else slots × a typical request.</summary>
    public static int ResolveContextSize(EngineOptions options, ModelMetadata model)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(model);
        if (options.ContextSize > 0)
        {
            return options.ContextSize;
        }
        int perSlot = Math.Min(DefaultTokensPerSlot, model.ContextLength > 0 ? model.ContextLength : DefaultTokensPerSlot);
        return (int)Math.Min((long)options.Slots * perSlot, Math.Max(perSlot, MaxDefaultContextSize));
    }

    private static LlamaEngine Start(LlamaModel model, bool ownsModel, EngineOptions options, ILoggerFactory loggerFactory)
    {
        int contextSize = ResolveContextSize(options, model.Metadata);
        // Every decoding slot puts one token into each batch, so the batch must hold at least one per slot.
        int batchSize = Math.Max(options.BatchSize, options.Slots + (options.BatchInvariant ? 1 : 0));

        LlamaContextParams parameters = LlamaApi.llama_context_default_params();
        parameters.NCtx = (uint)contextSize;
        parameters.NBatch = (uint)batchSize;
        parameters.NUbatch = (uint)batchSize;
        parameters.NSeqMax = (uint)(options.Slots + (options.BatchInvariant ? 1 : 0)); // + the scratch sequence
        parameters.NThreads = options.Threads;
        parameters.NThreadsBatch = options.Threads;
        parameters.NoPerf = 1;
        // Per-slot streams keep attention to a slot's own cells, in position order (which batch invariance needs:
        // attention sums cells in cell order, and a sequence scattered over holes left by others rounds differently).
        parameters.KvUnified = (byte)(UsesUnifiedKvCache(options) ? 1 : 0);

        LlamaNativeLog.TakeLastError();
        SafeLlamaContextHandle context = LlamaApi.llama_init_from_model(model.Handle, parameters);
        if (context.IsInvalid)
        {
            string? nativeError = LlamaNativeLog.TakeLastError();
            context.Dispose();
            throw new InferenceException(InferenceErrorKind.Internal,
                $"llama.cpp could not create a context of {contextSize} tokens for {model.Metadata.FilePath}" +
                (nativeError is null ? "" : $": {nativeError}"));
        }

        GgmlThreadpool? threadpool = null;
        LlamaEngine engine;
        try
        {
            // One pool for the engine's lifetime instead of llama.cpp starting and joining threads at every decode.
            threadpool = GgmlThreadpool.Create(options.Threads, GgmlThreadpool.DefaultPollLevel);
            if (threadpool is not null)
            {
                // No separate batch pool: llama.cpp then runs prompt chunks on this one too (same thread count).
                LlamaApi.llama_attach_threadpool(context, threadpool.Handle, IntPtr.Zero);
            }
            engine = new LlamaEngine(model, ownsModel, context, threadpool, options, loggerFactory.CreateLogger<LlamaEngine>());
        }
        catch
        {
            context.Dispose();
            threadpool?.Dispose();
            throw;
        }
        engine._thread.Start();
        EngineLog.Started(engine._logger, model.Metadata.Name, options.Slots, engine.KvCacheSize, engine._sequenceLimit, batchSize,
            options.Threads, options.MaxQueue);
        return engine;
    }

    /// <summary>
    /// Loads each declared adapter; one that does not fit the model is logged and listed in <see cref="AdapterFailures"/>
    /// and the engine serves on without it.
    /// </summary>
    private void LoadAdapters(IReadOnlyList<AdapterFile> files)
    {
        foreach (AdapterFile file in files)
        {
            try
            {
                _adapters.Add(file.Name, _model.LoadAdapter(file.Name, file.Path));
            }
            catch (AdapterLoadException ex)
            {
                EngineLog.AdapterRefused(_logger, file.Name, ex.Message);
                _adapterFailures.Add(new AdapterLoadFailure(file.Name, file.Path, ex.Message));
            }
        }
    }

    private static bool UsesUnifiedKvCache(EngineOptions options) => options.UnifiedKvCache && !options.BatchInvariant;

    private static void ValidateOptions(EngineOptions options)
    {
        if (options.Threads < 1 || options.Slots < 1 || options.BatchSize < 1 || options.MaxQueue < 1 ||
            options.MaxTokensLimit < 1 || options.ContextSize < 0)
        {
            throw new ArgumentException(
                $"EngineOptions out of range: Threads={options.Threads}, Slots={options.Slots}, BatchSize={options.BatchSize}, " +
                $"MaxQueue={options.MaxQueue}, MaxTokensLimit={options.MaxTokensLimit}, ContextSize={options.ContextSize} " +
                "(all must be at least 1; ContextSize 0 means automatic).", nameof(options));
        }
        EmbeddingOptions embedding = options.Embedding ?? throw new ArgumentException("EngineOptions.Embedding is null.", nameof(options));
        if (options.Serves is not (ServedTasks.Generation or ServedTasks.Embeddings or ServedTasks.Both))
        {
            throw new ArgumentException($"EngineOptions.Serves is {options.Serves}; use Generation, Embeddings or Both.", nameof(options));
        }
        if (embedding.BatchSize < 1 || embedding.MaxSequences is < 1 or > EmbeddingOptions.MaxSequencesPerDecode ||
            !(embedding.TokensPerGenerationToken is > 0 and <= EmbeddingOptions.MaxTokensPerGenerationToken) || embedding.MaxQueue < 1 || embedding.MaxInputs < 1 || !Enum.IsDefined(embedding.Pooling))
        {
            throw new ArgumentException(
                $"EmbeddingOptions out of range: BatchSize={embedding.BatchSize}, MaxSequences={embedding.MaxSequences} (1 to " +
                $"{EmbeddingOptions.MaxSequencesPerDecode}), TokensPerGenerationToken={embedding.TokensPerGenerationToken} (above 0, at most " +
                $"{EmbeddingOptions.MaxTokensPerGenerationToken}), " +
                $"MaxQueue={embedding.MaxQueue}, MaxInputs={embedding.MaxInputs}, Pooling={embedding.Pooling} (the others at least 1).", nameof(options));
        }
        if (options.AdapterTurnSteps < 1)
        {
            throw new ArgumentException($"EngineOptions.AdapterTurnSteps is {options.AdapterTurnSteps}; it must be at least 1.", nameof(options));
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (AdapterFile adapter in options.Adapters ?? throw new ArgumentException("EngineOptions.Adapters is null.", nameof(options)))
        {
            if (adapter is null || string.IsNullOrWhiteSpace(adapter.Name) || adapter.Name.Any(char.IsWhiteSpace) || string.IsNullOrWhiteSpace(adapter.Path))
            {
                throw new ArgumentException($"EngineOptions.Adapters has an entry without a name (no spaces) or a path: {adapter}.", nameof(options));
            }
            if (!names.Add(adapter.Name))
            {
                throw new ArgumentException($"EngineOptions.Adapters names '{adapter.Name}' twice.", nameof(options));
            }
        }
        if (options.Slots > 256)
        {
            throw new ArgumentException($"EngineOptions.Slots is {options.Slots}; llama.cpp decodes at most 256 sequences together.", nameof(options));
        }
    }

    public string RenderPrompt(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Messages is { Count: > 0 } messages)
        {
            return _model.RenderChat(messages, addAssistantPrefix: true);
        }
        return request.Prompt ?? throw new InferenceException(InferenceErrorKind.InvalidArgument, "the request has neither a prompt nor messages");
    }

    public int CountPromptTokens(GenerationRequest request) => TokenizePrompt(request).Length;

    /// <summary>The tokens a generation of <paramref name="request"/> starts from: chat templates may contain special-token text; a raw prompt is taken literally.</summary>
    private int[] TokenizePrompt(GenerationRequest request) =>
        _model.Tokenize(RenderPrompt(request), addSpecial: true, parseSpecial: request.Messages is { Count: > 0 });

    public async IAsyncEnumerable<GenerationUpdate> GenerateAsync(
        GenerationRequest request,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        GenerationJob job = Admit(request, cancellationToken);
        try
        {
            // Not the caller's token: a cancelled request still gets its final update from the engine thread.
            await foreach (GenerationUpdate update in job.Updates.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                yield return update;
            }
        }
        finally
        {
            job.Abandon();
        }
    }

    public Task<EmbeddingResult> EmbedAsync(EmbeddingRequest request, CancellationToken cancellationToken = default)
    {
        long started = Stopwatch.GetTimestamp();
        ThrowIfStopped();
        EmbeddingScheduler embeddings = _embeddings ?? throw new InferenceException(InferenceErrorKind.InvalidArgument,
            $"model {_model.Metadata.Name} is served for generation only here; embeddings need a worker that serves them (Worker:Serves)");
        int[][] inputs = EmbeddingRequestValidator.Prepare(request, _model, embeddings.MaxInputTokens, _options.Embedding.MaxInputs,
            embeddings.Dimensions, out int truncated);
        var job = new EmbeddingJob(inputs, request.Dimensions, truncated, started, cancellationToken);
        if (!embeddings.Enqueue(job))
        {
            ThrowIfStopped();
            int waiting = embeddings.QueueDepth;
            EmbeddingLog.QueueFull(_logger, waiting);
            throw new InferenceException(InferenceErrorKind.ResourceExhausted,
                $"the embedding queue is full ({waiting} requests waiting); retry shortly or send the request to another worker")
            {
                RetryAfter = TimeSpan.FromSeconds(1),
            };
        }
        return job.Completion;
    }

    private GenerationJob Admit(GenerationRequest request, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        ThrowIfStopped();
        if (!_options.Serves.HasFlag(ServedTasks.Generation))
        {
            throw new InferenceException(InferenceErrorKind.InvalidArgument,
                $"model {_model.Metadata.Name} is served for embeddings only here; generation needs a worker that serves it (Worker:Serves)");
        }

        GenerationRequestValidator.Validate(request, _options.MaxTokensLimit, _model.Metadata.VocabSize);
        AdapterSet adapters = AdapterSet.Resolve(request.Adapters, _adapters, _model.Metadata.Name);

        int[] tokens = TokenizePrompt(request);
        if (tokens.Length == 0)
        {
            throw new InferenceException(InferenceErrorKind.InvalidArgument, "the prompt is empty after tokenization");
        }
        if (tokens.Length >= _sequenceLimit)
        {
            throw new InferenceException(InferenceErrorKind.InvalidArgument,
                $"prompt is {tokens.Length} tokens; the context holds {_sequenceLimit} (prompt and generated tokens together), " +
                $"so shorten the prompt to fewer than {_sequenceLimit} tokens");
        }

        var job = new GenerationJob(request, tokens, started, cancellationToken, CreateGrammar(request)) { Adapters = adapters };
        if (!_queue.TryEnqueue(job))
        {
            job.Grammar?.Dispose();
            job.Abandon();
            ThrowIfStopped();
            int waiting = _queue.Count;
            TimeSpan retryAfter = EstimateRetryAfter(waiting);
            EngineLog.QueueFull(_logger, waiting);
            throw new InferenceException(InferenceErrorKind.ResourceExhausted,
                $"the inference queue is full ({waiting} waiting); retry after {retryAfter.TotalSeconds:F0}s or send the request to another worker")
            {
                RetryAfter = retryAfter,
            };
        }
        return job;
    }

    /// <summary>The request's grammar over this model's vocabulary; a grammar llama.cpp refuses is the caller's error.</summary>
    private GrammarSampler? CreateGrammar(GenerationRequest request)
    {
        if (string.IsNullOrEmpty(request.Grammar))
        {
            return null;
        }
        GrammarSampler? grammar = GrammarSampler.TryCreate(_model, request.Grammar, GrammarRoot, out string? error);
        if (grammar is null)
        {
            _scheduler.Grammar.Refused();
            throw new InferenceException(InferenceErrorKind.InvalidArgument,
                $"the grammar is not valid GBNF (start rule '{GrammarRoot}'): {error?.Trim()}");
        }
        return grammar;
    }

    /// <summary>Roughly when a slot will be free for one more request: the queue ahead drains <see cref="EngineOptions.Slots"/> at a time.</summary>
    private TimeSpan EstimateRetryAfter(int waiting)
    {
        double seconds = Math.Ceiling(_scheduler.AverageServiceTime.TotalSeconds * (waiting + 1) / _options.Slots);
        return TimeSpan.FromSeconds(Math.Clamp(seconds, 1, 300));
    }

    private void ThrowIfStopped()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new InferenceException(InferenceErrorKind.Unavailable, "the inference engine is shutting down; send the request to another worker");
        }
    }

    private void RunLoop()
    {
        try
        {
            _scheduler.Run(_stopping.Token);
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _stopped.Task.ConfigureAwait(false);
            return;
        }
        _stopping.Cancel();
        if (_thread.IsAlive)
        {
            await _stopped.Task.ConfigureAwait(false);
        }
        ContinuousBatchScheduler.FailWaiting(_queue.Close());
        _scheduler.Dispose();
        _embeddings?.FailAll();
        _embeddings?.Dispose();
        if (_threadpool is not null)
        {
            LlamaApi.llama_detach_threadpool(_context);
            _threadpool.Dispose();
        }
        _context.Dispose();
        foreach (LoraAdapter adapter in _adapters.Values)
        {
            LlamaModel.FreeAdapter(adapter);
        }
        if (_ownsModel)
        {
            _model.Dispose();
        }
        _stopping.Dispose();
        EngineLog.Stopped(_logger, _model.Metadata.Name);
    }
}

using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SlmCluster.Inference.Native;

namespace SlmCluster.Inference;

/// <summary>
/// Runs one llama_context on one dedicated thread. Callers' requests are validated and tokenized on their own
/// threads, wait in a bounded queue, and are decoded by the engine thread, which streams text back through a
/// channel per request. For now the loop serves one sequence at a time (sequence 0).
/// </summary>
public sealed class LlamaEngine : IInferenceEngine
{
    private const int SequenceId = 0;

    private readonly LlamaModel _model;
    private readonly bool _ownsModel;
    private readonly SafeLlamaContextHandle _context;
    private readonly EngineOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<GenerationJob> _queue;
    private readonly SemaphoreSlim _workAvailable = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;
    private readonly int _contextSize;
    private readonly int _batchSize;
    private int _activeSequences;
    private int _disposed;
    private long _averageServiceTicks;

    private LlamaEngine(LlamaModel model, bool ownsModel, SafeLlamaContextHandle context, EngineOptions options, ILogger logger)
    {
        _model = model;
        _ownsModel = ownsModel;
        _context = context;
        _options = options;
        _logger = logger;
        _contextSize = (int)LlamaApi.llama_n_ctx_seq(context);
        _batchSize = (int)LlamaApi.llama_n_batch(context);
        _queue = Channel.CreateBounded<GenerationJob>(new BoundedChannelOptions(options.MaxQueue)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _thread = new Thread(RunLoop) { IsBackground = true, Name = "llama-engine" };
    }

    public ModelMetadata Model => _model.Metadata;

    /// <summary>The loaded model (shared, thread-safe for tokenizing and rendering).</summary>
    public LlamaModel LoadedModel => _model;

    /// <summary>Tokens one sequence can hold (prompt plus generated text).</summary>
    public int ContextSize => _contextSize;

    public int QueueDepth => _queue.Reader.Count;

    public int ActiveSequences => Volatile.Read(ref _activeSequences);

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

    private static LlamaEngine Start(LlamaModel model, bool ownsModel, EngineOptions options, ILoggerFactory loggerFactory)
    {
        int contextSize = options.ContextSize > 0
            ? options.ContextSize
            : Math.Min(options.Slots * 2048, model.Metadata.ContextLength > 0 ? model.Metadata.ContextLength : 2048);

        LlamaContextParams parameters = LlamaApi.llama_context_default_params();
        parameters.NCtx = (uint)contextSize;
        parameters.NBatch = (uint)options.BatchSize;
        parameters.NUbatch = (uint)options.BatchSize;
        parameters.NSeqMax = (uint)options.Slots;
        parameters.NThreads = options.Threads;
        parameters.NThreadsBatch = options.Threads;
        parameters.NoPerf = 1;
        parameters.KvUnified = 1; // one KV pool, so a single sequence may use the whole context

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

        var engine = new LlamaEngine(model, ownsModel, context, options, loggerFactory.CreateLogger<LlamaEngine>());
        engine._thread.Start();
        EngineLog.Started(engine._logger, model.Metadata.Name, engine._contextSize, engine._batchSize, options.Threads, options.MaxQueue);
        return engine;
    }

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

    private GenerationJob Admit(GenerationRequest request, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        ThrowIfStopped();
        GenerationRequestValidator.Validate(request, _options.MaxTokensLimit);

        bool chat = request.Messages is { Count: > 0 };
        string prompt = RenderPrompt(request);
        // Chat templates may contain special-token text; a raw prompt is taken literally.
        int[] tokens = _model.Tokenize(prompt, addSpecial: true, parseSpecial: chat);
        if (tokens.Length == 0)
        {
            throw new InferenceException(InferenceErrorKind.InvalidArgument, "the prompt is empty after tokenization");
        }
        if (tokens.Length >= _contextSize)
        {
            throw new InferenceException(InferenceErrorKind.InvalidArgument,
                $"prompt is {tokens.Length} tokens; the context holds {_contextSize} (prompt and generated tokens together), " +
                $"so shorten the prompt to fewer than {_contextSize} tokens");
        }

        var job = new GenerationJob(request, tokens, started, cancellationToken);
        if (!_queue.Writer.TryWrite(job))
        {
            job.Abandon();
            ThrowIfStopped();
            int waiting = _queue.Reader.Count;
            TimeSpan retryAfter = EstimateRetryAfter(waiting);
            EngineLog.QueueFull(_logger, waiting);
            throw new InferenceException(InferenceErrorKind.ResourceExhausted,
                $"the inference queue is full ({waiting} waiting); retry after {retryAfter.TotalSeconds:F0}s or send the request to another worker")
            {
                RetryAfter = retryAfter,
            };
        }
        _workAvailable.Release();
        return job;
    }

    private TimeSpan EstimateRetryAfter(int waiting)
    {
        long average = Interlocked.Read(ref _averageServiceTicks);
        double seconds = Math.Ceiling(TimeSpan.FromTicks(average).TotalSeconds * (waiting + 1) / _options.Slots);
        return TimeSpan.FromSeconds(Math.Clamp(seconds, 1, 300));
    }

    private void ThrowIfStopped()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new InferenceException(InferenceErrorKind.Unavailable, "the inference engine is shutting down; send the request to another worker");
        }
    }

    // ---- engine thread ----

    private void RunLoop()
    {
        LlamaBatch batch = LlamaApi.llama_batch_init(_batchSize, 0, 1);
        try
        {
            CancellationToken stopping = _stopping.Token;
            while (!stopping.IsCancellationRequested)
            {
                if (!_queue.Reader.TryRead(out GenerationJob? job))
                {
                    try
                    {
                        _workAvailable.Wait(stopping);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                    continue;
                }
                Serve(job, ref batch);
            }
        }
        finally
        {
            LlamaApi.llama_batch_free(batch);
            FailQueued();
            _stopped.TrySetResult();
        }
    }

    private void Serve(GenerationJob job, ref LlamaBatch batch)
    {
        Interlocked.Increment(ref _activeSequences);
        try
        {
            Generate(job, ref batch);
        }
        catch (InferenceException ex)
        {
            job.Fail(ex);
        }
        catch (Exception ex)
        {
            EngineLog.GenerationFailed(_logger, ex);
            job.Fail(new InferenceException(InferenceErrorKind.Internal, $"generation failed: {ex.Message}", ex));
        }
        finally
        {
            Interlocked.Decrement(ref _activeSequences);
            long ticks = job.Elapsed.Ticks;
            long average = Interlocked.Read(ref _averageServiceTicks);
            Interlocked.Exchange(ref _averageServiceTicks, average == 0 ? ticks : (average * 7 + ticks) / 8);
        }
    }

    private void Generate(GenerationJob job, ref LlamaBatch batch)
    {
        GenerationRequest request = job.Request;
        int[] prompt = job.PromptTokens;
        CancellationToken cancellation = job.CancellationToken;
        CancellationToken stopping = _stopping.Token;
        if (cancellation.IsCancellationRequested)
        {
            Finish(job, GenerationFinishReason.Cancelled, "", 0, TimeSpan.Zero);
            return;
        }
        EngineLog.GenerationStarted(_logger, prompt.Length, request.MaxTokens, job.Elapsed.TotalMilliseconds);

        IntPtr memory = LlamaApi.llama_get_memory(_context);
        LlamaApi.llama_memory_seq_rm(memory, SequenceId, -1, -1);

        using SafeLlamaSamplerHandle sampler = SamplerChainFactory.Create(request.Sampling, _model.Metadata.VocabSize);
        var decoder = new IncrementalUtf8Decoder();
        var stops = new StopStringMatcher(request.Stop ?? []);
        byte[] pieceBuffer = new byte[64];

        for (int start = 0; start < prompt.Length; start += _batchSize)
        {
            if (cancellation.IsCancellationRequested || stopping.IsCancellationRequested)
            {
                FinishCancelledOrStopping(job, stopping, "", 0, TimeSpan.Zero);
                return;
            }
            int count = Math.Min(_batchSize, prompt.Length - start);
            Fill(ref batch, prompt.AsSpan(start, count), start, outputLast: start + count == prompt.Length);
            Decode(batch);
        }

        int position = prompt.Length;
        int completion = 0;
        TimeSpan timeToFirstToken = TimeSpan.Zero;
        while (true)
        {
            if (cancellation.IsCancellationRequested || stopping.IsCancellationRequested)
            {
                FinishCancelledOrStopping(job, stopping, FlushText(decoder, stops), completion, timeToFirstToken);
                return;
            }

            int token = LlamaApi.llama_sampler_sample(sampler, _context, -1);
            if (completion == 0)
            {
                timeToFirstToken = job.Elapsed;
            }
            bool endOfGeneration = _model.IsEndOfGeneration(token);
            if (endOfGeneration && !request.IgnoreEndOfSequence)
            {
                Finish(job, GenerationFinishReason.Stop, FlushText(decoder, stops), completion, timeToFirstToken);
                return;
            }
            completion++;

            int length = _model.TokenToPiece(token, ref pieceBuffer);
            string text = decoder.Append(pieceBuffer.AsSpan(0, length));
            if (text.Length > 0)
            {
                (string release, bool stopped) = stops.Append(text);
                job.Publish(release);
                if (stopped)
                {
                    Finish(job, GenerationFinishReason.Stop, "", completion, timeToFirstToken);
                    return;
                }
            }

            if (completion >= request.MaxTokens || position >= _contextSize)
            {
                Finish(job, GenerationFinishReason.Length, FlushText(decoder, stops), completion, timeToFirstToken);
                return;
            }

            Fill(ref batch, [token], position, outputLast: true);
            Decode(batch);
            position++;
        }
    }

    /// <summary>Ends the text: unfinished UTF-8 becomes U+FFFD, then held-back text (no stop string came) is released.</summary>
    private static string FlushText(IncrementalUtf8Decoder decoder, StopStringMatcher stops)
    {
        string tail = decoder.Flush();
        if (tail.Length == 0)
        {
            return stops.Flush();
        }
        (string release, bool stopped) = stops.Append(tail);
        return stopped ? release : release + stops.Flush();
    }

    private void FinishCancelledOrStopping(GenerationJob job, CancellationToken stopping, string text, int completion, TimeSpan timeToFirstToken)
    {
        if (stopping.IsCancellationRequested && !job.CancellationToken.IsCancellationRequested)
        {
            job.Fail(new InferenceException(InferenceErrorKind.Unavailable, "the inference engine shut down during the request; retry on another worker"));
            return;
        }
        Finish(job, GenerationFinishReason.Cancelled, text, completion, timeToFirstToken);
    }

    private void Finish(GenerationJob job, GenerationFinishReason reason, string text, int completion, TimeSpan timeToFirstToken)
    {
        var result = new GenerationResult(reason, job.PromptTokens.Length, completion, timeToFirstToken, job.Elapsed);
        job.Complete(text, result);
        EngineLog.GenerationFinished(_logger, reason, result.PromptTokens, completion,
            timeToFirstToken.TotalMilliseconds, result.Total.TotalMilliseconds);
    }

    private static unsafe void Fill(ref LlamaBatch batch, ReadOnlySpan<int> tokens, int firstPosition, bool outputLast)
    {
        for (int i = 0; i < tokens.Length; i++)
        {
            batch.Token[i] = tokens[i];
            batch.Pos[i] = firstPosition + i;
            batch.NSeqId[i] = 1;
            batch.SeqId[i][0] = SequenceId;
            batch.Logits[i] = 0;
        }
        if (outputLast)
        {
            batch.Logits[tokens.Length - 1] = 1;
        }
        batch.NTokens = tokens.Length;
    }

    private void Decode(LlamaBatch batch)
    {
        int status = LlamaApi.llama_decode(_context, batch);
        switch (status)
        {
            case 0:
                return;
            case 1:
                throw new InferenceException(InferenceErrorKind.ResourceExhausted,
                    $"the context ({_contextSize} tokens) has no room for this batch; retry with a shorter prompt or fewer max_tokens");
            default:
                string? nativeError = LlamaNativeLog.TakeLastError();
                throw new InferenceException(InferenceErrorKind.Internal,
                    $"llama_decode failed with status {status}" + (nativeError is null ? "" : $": {nativeError}"));
        }
    }

    private void FailQueued()
    {
        while (_queue.Reader.TryRead(out GenerationJob? job))
        {
            job.Fail(new InferenceException(InferenceErrorKind.Unavailable, "the inference engine shut down before the request started; retry on another worker"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _stopped.Task.ConfigureAwait(false);
            return;
        }
        _queue.Writer.TryComplete();
        _stopping.Cancel();
        if (_thread.IsAlive)
        {
            await _stopped.Task.ConfigureAwait(false);
        }
        FailQueued();
        _context.Dispose();
        if (_ownsModel)
        {
            _model.Dispose();
        }
        // _workAvailable stays undisposed: a racing Admit may still Release it, and it holds no OS handle.
        _stopping.Dispose();
        EngineLog.Stopped(_logger, _model.Metadata.Name);
    }
}

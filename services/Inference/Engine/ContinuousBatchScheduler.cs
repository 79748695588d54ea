using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using SlmCluster.Inference.Native;

namespace SlmCluster.Inference;

/// <summary>
/// The engine thread's loop over one llama_context. Each step admits waiting requests into free sequence slots
/// (next to the running ones, or where a long prefix of the prompt is cached: <see cref="SlotPlacement"/>), puts
/// one token for every decoding slot and prompt chunks for prefilling slots into one batch, decodes it once,
/// samples every slot that produced logits with its own sampler chain, streams the text and retires finished or
/// cancelled requests. Everything here runs on the engine thread
/// except <see cref="ActiveSequences"/> and <see cref="AverageServiceTime"/>.
/// </summary>
internal sealed unsafe class ContinuousBatchScheduler : IDisposable
{
    private readonly LlamaModel _model;
    private readonly SafeLlamaContextHandle _context;
    private readonly IntPtr _memory;
    private readonly AdmissionQueue _queue;
    private readonly ILogger _logger;
    private readonly SequenceSlot[] _slots;
    private readonly SequenceSlot[] _prefillOrder;
    private readonly SequenceSlot[] _inBatch;
    private readonly SlotPlacement.Candidate[] _candidates;
    private readonly int[] _prefillTake;
    private readonly bool _perSlotStreams;
    private readonly List<GenerationJob> _cancelledWaiting = [];
    private readonly int _sequenceLimit;
    private readonly int _batchCapacity;
    private readonly int _totalCells;
    private readonly int _usableCells;
    private readonly int _scratchSequence;
    private readonly EmbeddingScheduler? _embeddings;
    /// <summary>Tokens the current step decoded for generation: what it earns the embedding side.</summary>
    private int _stepTokens;
    private LlamaBatch _batch;
    private GCHandle _self;
    private int _inBatchCount;
    private int _outputsInBatch;
    private bool _scratchRowInBatch;
    private bool _abortCallbackSet;
    private int _usedCells;
    private int _busySlots;
    private long _step;
    private long _admissions;
    private long _averageServiceTicks;
    private CancellationToken _stopping;
    private AdapterSet _contextSet = AdapterSet.None;
    private AdapterSet _turn = AdapterSet.None;
    private int _turnSteps;
    private long _adapterSwitches;

    public ContinuousBatchScheduler(
        LlamaModel model,
        SafeLlamaContextHandle context,
        AdmissionQueue queue,
        int slots,
        int sequenceLimit,
        bool unifiedKvCache,
        bool batchInvariant,
        ILogger logger,
        EmbeddingScheduler? embeddings = null)
    {
        _embeddings = embeddings;
        _model = model;
        _context = context;
        _queue = queue;
        _logger = logger;
        _memory = LlamaApi.llama_get_memory(context);
        _sequenceLimit = sequenceLimit;
        _batchCapacity = (int)LlamaApi.llama_n_batch(context);
        _totalCells = (int)LlamaApi.llama_n_ctx(context);
        // Batch-invariant mode pads single-output batches with a row in sequence `slots`.
        _scratchSequence = batchInvariant ? slots : -1;
        // Without a unified cache every slot has its own stream, sized for the longest request: it never runs out.
        _usableCells = unifiedKvCache ? _totalCells : int.MaxValue / 2;
        _perSlotStreams = !unifiedKvCache;
        _slots = new SequenceSlot[slots];
        for (int i = 0; i < slots; i++)
        {
            _slots[i] = new SequenceSlot(i, sequenceLimit);
        }
        _prefillOrder = new SequenceSlot[slots];
        _inBatch = new SequenceSlot[slots];
        _candidates = new SlotPlacement.Candidate[slots];
        _prefillTake = new int[slots];
        // One sequence id per token: the batch never shares a token between sequences.
        _batch = LlamaApi.llama_batch_init(_batchCapacity, 0, 1);
        _self = GCHandle.Alloc(this, GCHandleType.Normal);
    }

    /// <summary>Most decodes one adapter set runs while another set's requests wait (<see cref="EngineOptions.AdapterTurnSteps"/>).</summary>
    public int AdapterTurnSteps { get; init; } = 16;

    /// <summary>Times the context's adapter set changed; read from any thread.</summary>
    public long AdapterSwitches => Interlocked.Read(ref _adapterSwitches);

    /// <summary>Slots running a request now.</summary>
    public int ActiveSequences => Volatile.Read(ref _busySlots);

    /// <summary>What the grammars of the requests this scheduler ran have done.</summary>
    public GrammarTotals Grammar { get; } = new();

    /// <summary>Moving average of how long a request takes from arrival to its end.</summary>
    public TimeSpan AverageServiceTime => TimeSpan.FromTicks(Interlocked.Read(ref _averageServiceTicks));

    /// <summary>KV cache cells (tokens) of all slots together.</summary>
    public int TotalCells => _totalCells;

    /// <summary>KV cache cells holding tokens now (running requests and kept prefixes); read from any thread.</summary>
    public int UsedCells => Volatile.Read(ref _usedCells);

    /// <summary>The engine thread's body: steps while there is work, sleeps until a request arrives, ends on <paramref name="stopping"/>.</summary>
    public void Run(CancellationToken stopping)
    {
        _stopping = stopping;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                bool busy;
                _stepTokens = 0;
                try
                {
                    busy = Step();
                }
                catch (Exception ex)
                {
                    // Something unexpected (not llama.cpp's status codes, which Step handles): the running requests
                    // cannot trust their state, but the engine keeps serving new ones.
                    EngineLog.StepFailed(_logger, ex);
                    FailBusySlots(new InferenceException(InferenceErrorKind.Internal, $"generation failed: {ex.Message}", ex));
                    busy = false;
                }
                // The embedding context's turn, on the budget generation's tokens earned (EmbeddingOptions.TokensPerGenerationToken).
                if (_embeddings is not null && _embeddings.Step(_stepTokens))
                {
                    busy = true;
                }
                if (!busy)
                {
                    try
                    {
                        _queue.WaitForWork(stopping);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }
        }
        finally
        {
            ShutDown();
        }
    }

    /// <summary>One admit → batch → decode → sample round; false when there is nothing to do.</summary>
    private bool Step()
    {
        _step++;
        AnswerCancelledWaiting();
        RetireCancelled();
        Admit();
        if (_busySlots == 0)
        {
            return false;
        }
        ChooseTurn();
        if (!BuildBatch())
        {
            return true;
        }

        // Only prompt chunks make a decode long enough to be worth aborting; a one-token-per-slot decode takes
        // milliseconds, and llama.cpp polls the callback after every graph node.
        SetAbortCallback(_batch.NTokens - (_scratchRowInBatch ? 1 : 0) > _inBatchCount);
        int status = LlamaApi.llama_decode(_context, _batch);
        if (_scratchRowInBatch)
        {
            LlamaApi.llama_memory_seq_rm(_memory, _scratchSequence, -1, -1);
        }
        switch (status)
        {
            case 0:
                _stepTokens = _batch.NTokens - (_scratchRowInBatch ? 1 : 0);
                _usedCells += _stepTokens;
                for (int i = 0; i < _inBatchCount; i++)
                {
                    SequenceSlot slot = _inBatch[i];
                    slot.CommitBatch();
                    if (slot.OutputIndex >= 0)
                    {
                        SampleAndStream(slot);
                    }
                }
                break;
            case 1:
                // Our cell count said it fits but llama.cpp found no room: make some and try again next step.
                EngineLog.NoKvSlot(_logger, _batch.NTokens, _usedCells, _totalCells);
                ForgetBatch();
                if (!EvictLeastRecentlyUsedCache())
                {
                    FailNewest();
                }
                break;
            case 2:
                // Aborted because every request in the batch was cancelled (or the engine is stopping).
                for (int i = 0; i < _inBatchCount; i++)
                {
                    SequenceSlot slot = _inBatch[i];
                    ClearSequence(slot);
                    if (slot.IsBusy)
                    {
                        EndCancelledOrStopping(slot);
                    }
                }
                _inBatchCount = 0;
                break;
            default:
                string? nativeError = LlamaNativeLog.TakeLastError();
                var error = new InferenceException(InferenceErrorKind.Internal,
                    $"llama_decode failed with status {status}" + (nativeError is null ? "" : $": {nativeError}"));
                EngineLog.GenerationFailed(_logger, error);
                for (int i = 0; i < _inBatchCount; i++)
                {
                    SequenceSlot slot = _inBatch[i];
                    ClearSequence(slot);
                    Fail(slot, error);
                }
                _inBatchCount = 0;
                break;
        }
        return true;
    }

    private void AnswerCancelledWaiting()
    {
        _queue.RemoveCancelled(_cancelledWaiting);
        foreach (GenerationJob job in _cancelledWaiting)
        {
            CompleteUnstarted(job);
        }
        _cancelledWaiting.Clear();
    }

    private void RetireCancelled()
    {
        foreach (SequenceSlot slot in _slots)
        {
            if (slot.Job is { } job && job.CancellationToken.IsCancellationRequested)
            {
                // The KV cache still matches slot's tokens (decoded so far), so it stays for prefix reuse.
                Finish(slot, GenerationFinishReason.Cancelled, FlushText(slot));
            }
        }
    }

    private void Admit()
    {
        while (_busySlots < _slots.Length && _queue.TryDequeue(out GenerationJob job))
        {
            if (job.CancellationToken.IsCancellationRequested)
            {
                CompleteUnstarted(job);
                continue;
            }
            try
            {
                Assign(job);
            }
            catch (InferenceException ex)
            {
                job.Fail(ex);
            }
        }
    }

    /// <summary>
    /// Puts <paramref name="job"/> into a free slot chosen by <see cref="SlotPlacement"/>: next to the running ones,
    /// or where a long prefix of its prompt is already cached.
    /// </summary>
    private void Assign(GenerationJob job)
    {
        ReadOnlySpan<int> prompt = job.PromptTokens;
        for (int i = 0; i < _slots.Length; i++)
        {
            SequenceSlot slot = _slots[i];
            // KV entries computed under another adapter set are not this request's prefix, whatever their tokens.
            int cached = slot.IsBusy || !SameSet(slot.CachedUnder, job.Adapters) ? 0 : slot.CommonPrefixLength(prompt);
            _candidates[i] = new SlotPlacement.Candidate(slot.IsBusy, cached, slot.LastUsedStep);
        }
        SequenceSlot target = _slots[SlotPlacement.Choose(_candidates, _perSlotStreams)];
        // The last prompt token is always decoded again: its logits pick the first generated token.
        int reused = Math.Min(_candidates[target.Id].CachedPrefix, prompt.Length - 1);
        if (target.CachedCount > reused)
        {
            if (!LlamaApi.llama_memory_seq_rm(_memory, target.Id, reused, -1))
            {
                LlamaApi.llama_memory_seq_rm(_memory, target.Id, -1, -1);
                reused = 0;
            }
            _usedCells -= target.CachedCount - reused;
            target.Truncate(reused);
        }

        SafeLlamaSamplerHandle sampler = SamplerChainFactory.Create(job.Request.Sampling, _model.Metadata.VocabSize);
        target.Begin(job, sampler, reused, ++_admissions);
        target.LastBatchStep = _step;
        Volatile.Write(ref _busySlots, _busySlots + 1);
        EngineLog.GenerationStarted(_logger, target.Id, prompt.Length, reused, job.Request.MaxTokens, job.Elapsed.TotalMilliseconds);
        if (reused > 0)
        {
            EngineLog.PrefixReused(_logger, reused, prompt.Length, target.Id);
        }
    }

    private static bool SameSet(AdapterSet a, AdapterSet b) => ReferenceEquals(a, b) || string.Equals(a.Key, b.Key, StringComparison.Ordinal);

    private bool InTurn(SequenceSlot slot) => SameSet(slot.Job!.Adapters, _turn);

    /// <summary>
    /// Picks the adapter set this step decodes (llama.cpp runs one set per decode): the current one keeps its turn for
    /// up to <see cref="AdapterTurnSteps"/> decodes while other sets have requests, then the set of the request that has
    /// waited longest since its last decode goes next, so every set's wait is bounded by the others' turns and a
    /// steady mix changes the set once per turn, not per token. Sets the context when the set changes.
    /// </summary>
    private void ChooseTurn()
    {
        bool turnHasWork = false;
        SequenceSlot? longestWaiting = null;
        foreach (SequenceSlot slot in _slots)
        {
            if (!slot.IsBusy)
            {
                continue;
            }
            if (InTurn(slot))
            {
                turnHasWork = true;
            }
            else if (longestWaiting is null || slot.LastBatchStep < longestWaiting.LastBatchStep)
            {
                longestWaiting = slot;
            }
        }
        if (turnHasWork && (longestWaiting is null || _turnSteps < AdapterTurnSteps))
        {
            _turnSteps = Math.Min(_turnSteps + 1, AdapterTurnSteps);
        }
        else if (longestWaiting is not null)
        {
            _turn = longestWaiting.Job!.Adapters;
            _turnSteps = 1;
        }
        if (!SameSet(_turn, _contextSet))
        {
            SetContextAdapters(_turn);
        }
    }

    private void SetContextAdapters(AdapterSet set)
    {
        fixed (IntPtr* handles = set.Handles)
        fixed (float* scales = set.Scales)
        {
            LlamaApi.llama_set_adapters_lora(_context, set.IsBase ? null : handles, (nuint)set.Handles.Length, set.IsBase ? null : scales);
        }
        _contextSet = set;
        Interlocked.Increment(ref _adapterSwitches);
        EngineLog.AdapterSetChanged(_logger, set.ToString(), _step);
    }

    /// <summary>
    /// Fills the batch: the pending token of every decoding slot and prompt chunks for prefilling slots (the oldest
    /// request's first) up to the batch size, within the free KV cells, in sequence id order: llama.cpp splits a
    /// per-slot-stream batch wherever the next sequence id is not the previous one plus one. False when nothing
    /// could be scheduled this step.
    /// </summary>
    private bool BuildBatch()
    {
        _batch.NTokens = 0;
        _inBatchCount = 0;
        _outputsInBatch = 0;
        _scratchRowInBatch = false;

        int decoding = 0;
        int prefilling = 0;
        int prefillWanted = 0;
        foreach (SequenceSlot slot in _slots)
        {
            if (!slot.IsBusy || !InTurn(slot))
            {
                continue;
            }
            if (slot.IsPrefilling)
            {
                InsertByAdmission(slot, prefilling++);
                prefillWanted += slot.PendingCount;
            }
            else
            {
                decoding++;
            }
        }

        int rows = _scratchSequence >= 0 ? _batchCapacity - 1 : _batchCapacity;
        prefillWanted = Math.Min(prefillWanted, rows - decoding);
        while (decoding + prefillWanted > _usableCells - _usedCells && EvictLeastRecentlyUsedCache())
        {
        }
        int free = _usableCells - _usedCells;
        if (decoding > free || (decoding == 0 && free == 0))
        {
            // Running requests fill the cache and none can move on: give the newest one's cells to the others.
            FailNewest();
            return false;
        }

        int budget = Math.Min(rows, free) - decoding;
        for (int i = 0; i < prefilling; i++)
        {
            SequenceSlot slot = _prefillOrder[i];
            int take = Math.Clamp(slot.PendingCount, 0, Math.Max(budget, 0));
            _prefillTake[slot.Id] = take;
            budget -= take;
        }
        foreach (SequenceSlot slot in _slots)
        {
            if (!slot.IsBusy || !InTurn(slot))
            {
                continue;
            }
            int count = slot.IsPrefilling ? _prefillTake[slot.Id] : 1;
            if (count > 0)
            {
                Add(slot, count);
            }
        }
        if (_outputsInBatch == 1 && _scratchSequence >= 0)
        {
            AddScratchRow();
        }
        return _batch.NTokens > 0;
    }

    private void InsertByAdmission(SequenceSlot slot, int count)
    {
        int i = count;
        while (i > 0 && _prefillOrder[i - 1].AdmissionOrder > slot.AdmissionOrder)
        {
            _prefillOrder[i] = _prefillOrder[i - 1];
            i--;
        }
        _prefillOrder[i] = slot;
    }

    /// <summary>Adds the slot's next <paramref name="count"/> pending tokens; logits only when they end what is pending.</summary>
    private void Add(SequenceSlot slot, int count)
    {
        ReadOnlySpan<int> tokens = slot.Tokens;
        int first = slot.CachedCount;
        int index = _batch.NTokens;
        for (int i = 0; i < count; i++, index++)
        {
            _batch.Token[index] = tokens[first + i];
            _batch.Pos[index] = first + i;
            _batch.NSeqId[index] = 1;
            _batch.SeqId[index][0] = slot.Id;
            _batch.Logits[index] = 0;
        }
        bool complete = first + count == slot.Length;
        if (complete)
        {
            _batch.Logits[index - 1] = 1;
            _outputsInBatch++;
        }
        slot.OutputIndex = complete ? index - 1 : -1;
        slot.TokensInBatch = count;
        slot.LastBatchStep = _step;
        _batch.NTokens = index;
        _inBatch[_inBatchCount++] = slot;
    }

    /// <summary>
    /// A second output row, so llama.cpp computes the real one with its batched kernels as it would beside other
    /// requests (its one-row path rounds differently); its logits are ignored and its cell freed after the decode.
    /// </summary>
    private void AddScratchRow()
    {
        int index = _batch.NTokens;
        _batch.Token[index] = _batch.Token[index - 1];
        _batch.Pos[index] = 0;
        _batch.NSeqId[index] = 1;
        _batch.SeqId[index][0] = _scratchSequence;
        _batch.Logits[index] = 1;
        _batch.NTokens = index + 1;
        _scratchRowInBatch = true;
    }

    private void ForgetBatch()
    {
        for (int i = 0; i < _inBatchCount; i++)
        {
            _inBatch[i].TokensInBatch = 0;
            _inBatch[i].OutputIndex = -1;
        }
        _inBatchCount = 0;
    }

    private void SampleAndStream(SequenceSlot slot)
    {
        GenerationJob job = slot.Job!;
        GenerationRequest request = job.Request;
        GrammarSampler? grammar = job.Grammar;
        int token;
        if (grammar is null)
        {
            token = LlamaApi.llama_sampler_sample(slot.Sampler!, _context, slot.OutputIndex);
        }
        else if (!TrySampleUnderGrammar(slot, grammar, out token))
        {
            EngineLog.GrammarDeadEnd(_logger, slot.Id, slot.CompletionTokens);
            Grammar.DeadEnd();
            Grammar.Ended(slot.CompletionTokens, slot.GrammarResamples, slot.GrammarTicks);
            Fail(slot, new InferenceException(InferenceErrorKind.InvalidArgument,
                $"the grammar allows no token after the {slot.CompletionTokens} generated so far, so the answer cannot be " +
                "completed under it; check that every rule can be finished with this model's tokens"));
            return;
        }
        if (slot.CompletionTokens == 0)
        {
            slot.TimeToFirstToken = job.Elapsed;
        }
        // Under a grammar an end token is sampled only where the grammar may end: the answer is complete, whatever
        // ignore_eos says (the grammar is never handed the end token).
        if ((!request.IgnoreEndOfSequence || grammar is not null) && _model.IsEndOfGeneration(token))
        {
            Finish(slot, GenerationFinishReason.Stop, FlushText(slot));
            return;
        }
        slot.CompletionTokens++;

        int length = _model.TokenToPiece(token, ref slot.PieceBuffer);
        string text = slot.Decoder.Append(slot.PieceBuffer.AsSpan(0, length));
        HeldLogprobs? logprobs = slot.Logprobs;
        if (logprobs is not null)
        {
            logprobs.Add(MeasureToken(slot, token, slot.PieceBuffer.AsSpan(0, length)));
            logprobs.Decoded(text.Length, complete: !slot.Decoder.HasPendingBytes);
        }
        string release = "";
        if (text.Length > 0)
        {
            (release, bool stopped) = slot.Stops.Append(text);
            if (stopped)
            {
                Finish(slot, GenerationFinishReason.Stop, release);
                return;
            }
        }

        // Only a token the text goes on with reaches the grammar: not one a stop string cut off (above).
        if (grammar is not null)
        {
            long started = Stopwatch.GetTimestamp();
            grammar.Accept(token);
            slot.GrammarTicks += Stopwatch.GetTimestamp() - started;
        }

        // The last token's text rides in the final update: one message, one write and one wake-up fewer per hop
        // at the moment the caller waits for the end.
        if (slot.CompletionTokens >= request.MaxTokens || slot.CachedCount >= _sequenceLimit)
        {
            // A grammar finished by this very token is a complete answer, not a cut one.
            GenerationFinishReason reason = grammar is not null && AllowsOnlyEnd(slot, grammar) ? GenerationFinishReason.Stop : GenerationFinishReason.Length;
            Finish(slot, reason, release + FlushText(slot));
            return;
        }
        job.Publish(release, logprobs?.Release(release.Length));
        slot.Append(token);
    }

    /// <summary>
    /// Samples the slot's output row under its grammar as llama.cpp's own sampler does, keeping the grammar out of
    /// the chain: the chain picks from the raw candidates, the grammar tests that one token, and only when it rejects
    /// it is the grammar applied to the whole vocabulary and the chain run again on what is left (a greedy pick first
    /// tests the next most likely tokens one by one, <see cref="TryBestAllowed"/>). The chain then
    /// accepts the token (its repeat penalty sees only what was generated). False when the grammar allows no token.
    /// </summary>
    private bool TrySampleUnderGrammar(SequenceSlot slot, GrammarSampler grammar, out int token)
    {
        float* row = LlamaApi.llama_get_logits_ith(_context, slot.OutputIndex);
        if (row is null)
        {
            throw new InferenceException(InferenceErrorKind.Internal, $"llama.cpp has no logits for batch row {slot.OutputIndex}");
        }
        Span<LlamaTokenData> candidates = slot.Candidates(_model.Metadata.VocabSize);
        var logits = new ReadOnlySpan<float>(row, candidates.Length);
        FillCandidates(candidates, logits);
        token = ApplyChain(slot.Sampler!, candidates);

        long started = Stopwatch.GetTimestamp();
        try
        {
            if (token >= 0 && grammar.IsAllowed(token))
            {
                return Accepted(slot.Sampler!, token);
            }
            slot.GrammarResamples++;
            if (slot.Job!.Request.Sampling.Temperature == 0f && TryBestAllowed(candidates, grammar, out token))
            {
                return Accepted(slot.Sampler!, token);
            }
            FillCandidates(candidates, logits);
            grammar.Apply(candidates);
            token = AnyAllowed(candidates) ? ApplyChain(slot.Sampler!, candidates) : -1;
            // The chain picks among the allowed tokens only; a pick outside them would mean a masked candidate won.
            if (token < 0 || !grammar.IsAllowed(token))
            {
                token = -1;
                return false;
            }
            return Accepted(slot.Sampler!, token);
        }
        finally
        {
            slot.GrammarTicks += Stopwatch.GetTimestamp() - started;
        }
    }

    /// <summary>How many of the most likely tokens a greedy pick tests one by one before it masks the whole vocabulary.</summary>
    internal const int GreedyGrammarCandidates = 16;

    /// <summary>
    /// A greedy pick under a grammar without masking the whole vocabulary: after the greedy chain ran, the candidates
    /// hold its adjusted logits in token order (bias, penalties and greedy reorder nothing), so the most likely of the
    /// <see cref="GreedyGrammarCandidates"/> best that the grammar allows, ties to the lower id as llama.cpp's greedy
    /// sampler breaks them, is exactly what the mask and a second greedy pick would choose. False when none of them is
    /// allowed: the caller masks.
    /// </summary>
    private static bool TryBestAllowed(ReadOnlySpan<LlamaTokenData> candidates, GrammarSampler grammar, out int token)
    {
        Span<int> best = stackalloc int[GreedyGrammarCandidates];
        int count = 0;
        for (int i = 0; i < candidates.Length; i++)
        {
            float logit = candidates[i].Logit;
            if (count == best.Length && !(logit > candidates[best[count - 1]].Logit))
            {
                continue;
            }
            int at = count < best.Length ? count++ : count - 1;
            // Insert in descending order; an equal logit goes after the earlier (lower) id.
            while (at > 0 && logit > candidates[best[at - 1]].Logit)
            {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = i;
        }
        for (int i = 0; i < count; i++)
        {
            int id = candidates[best[i]].Id;
            if (!float.IsNegativeInfinity(candidates[best[i]].Logit) && grammar.IsAllowed(id))
            {
                token = id;
                return true;
            }
        }
        token = -1;
        return false;
    }

    /// <summary>The chain takes the chosen token (a repeat penalty remembers it); true, for the caller to return.</summary>
    private static bool Accepted(SafeLlamaSamplerHandle chain, int token)
    {
        LlamaApi.llama_sampler_accept(chain, token);
        return true;
    }

    /// <summary>Whether the grammar, as it stands, allows nothing but an end token: the answer is complete.</summary>
    private bool AllowsOnlyEnd(SequenceSlot slot, GrammarSampler grammar)
    {
        long started = Stopwatch.GetTimestamp();
        Span<LlamaTokenData> candidates = slot.Candidates(_model.Metadata.VocabSize);
        for (int i = 0; i < candidates.Length; i++)
        {
            candidates[i] = new LlamaTokenData { Id = i, Logit = 0f, P = 0f };
        }
        grammar.Apply(candidates);
        bool onlyEnd = true;
        foreach (LlamaTokenData candidate in candidates)
        {
            if (!float.IsNegativeInfinity(candidate.Logit) && !_model.IsEndOfGeneration(candidate.Id))
            {
                onlyEnd = false;
                break;
            }
        }
        slot.GrammarTicks += Stopwatch.GetTimestamp() - started;
        return onlyEnd;
    }

    private static void FillCandidates(Span<LlamaTokenData> candidates, ReadOnlySpan<float> logits)
    {
        for (int i = 0; i < candidates.Length; i++)
        {
            candidates[i] = new LlamaTokenData { Id = i, Logit = logits[i], P = 0f };
        }
    }

    private static bool AnyAllowed(ReadOnlySpan<LlamaTokenData> candidates)
    {
        foreach (LlamaTokenData candidate in candidates)
        {
            if (!float.IsNegativeInfinity(candidate.Logit))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Runs the chain over the candidates (it may sort and shorten them); the token it selects, or -1.</summary>
    private static int ApplyChain(SafeLlamaSamplerHandle chain, Span<LlamaTokenData> candidates)
    {
        fixed (LlamaTokenData* data = candidates)
        {
            var array = new LlamaTokenDataArray { Data = data, Size = (nuint)candidates.Length, Selected = -1, Sorted = 0 };
            LlamaApi.llama_sampler_apply(chain, &array);
            return array.Selected >= 0 && array.Selected < (long)array.Size ? array.Data[array.Selected].Id : -1;
        }
    }

    /// <summary>
    /// The logprob of the token just sampled from the slot's output row, and the request's top alternatives there:
    /// the log-softmax of the raw logits (the sampler chain copies them, so they are the model's own distribution
    /// whatever the sampling settings). Only for requests that asked; the normal path never comes here.
    /// </summary>
    private GeneratedToken MeasureToken(SequenceSlot slot, int token, ReadOnlySpan<byte> piece)
    {
        float* row = LlamaApi.llama_get_logits_ith(_context, slot.OutputIndex);
        if (row is null)
        {
            throw new InferenceException(InferenceErrorKind.Internal, $"llama.cpp has no logits for batch row {slot.OutputIndex}");
        }
        var logits = new ReadOnlySpan<float>(row, _model.Metadata.VocabSize);
        double logSum = LogSoftmax.LogSumExp(logits);

        int wanted = Math.Min(slot.Job!.Request.TopLogprobs, GenerationRequest.MaxTopLogprobs);
        TokenAlternative[] top = [];
        if (wanted > 0)
        {
            Span<int> ids = stackalloc int[wanted];
            int found = LogSoftmax.SelectTop(logits, ids);
            top = new TokenAlternative[found];
            for (int i = 0; i < found; i++)
            {
                int id = ids[i];
                byte[] bytes = id == token ? piece.ToArray() : _model.TokenBytes(id);
                top[i] = new TokenAlternative(id, Encoding.UTF8.GetString(bytes), bytes, (float)(logits[id] - logSum));
            }
        }

        byte[] tokenBytes = piece.ToArray();
        return new GeneratedToken(token, Encoding.UTF8.GetString(tokenBytes), tokenBytes, (float)(logits[token] - logSum), top);
    }

    /// <summary>Ends the text: unfinished UTF-8 becomes U+FFFD, then held-back text (no stop string came) is released.</summary>
    private static string FlushText(SequenceSlot slot)
    {
        string tail = slot.Decoder.Flush();
        slot.Logprobs?.Decoded(tail.Length, complete: true);
        if (tail.Length == 0)
        {
            return slot.Stops.Flush();
        }
        (string release, bool stopped) = slot.Stops.Append(tail);
        return stopped ? release : release + slot.Stops.Flush();
    }

    private void Finish(SequenceSlot slot, GenerationFinishReason reason, string text)
    {
        GenerationJob job = slot.Job!;
        var result = new GenerationResult(reason, slot.PromptLength, slot.CompletionTokens, slot.TimeToFirstToken, job.Elapsed)
        {
            ReusedPromptTokens = slot.ReusedTokens,
        };
        GeneratedToken[]? logprobs = slot.Logprobs?.Finish(text.Length);
        if (job.Grammar is not null)
        {
            EngineLog.GrammarFinished(_logger, slot.Id, slot.CompletionTokens, slot.GrammarResamples,
                Stopwatch.GetElapsedTime(0, slot.GrammarTicks).TotalMilliseconds);
            Grammar.Ended(slot.CompletionTokens, slot.GrammarResamples, slot.GrammarTicks);
        }
        // The slot is free before the caller sees the end, so ActiveSequences never counts a finished request.
        Release(slot);
        job.Complete(text, result, logprobs);
        EngineLog.GenerationFinished(_logger, reason, result.PromptTokens, result.ReusedPromptTokens, result.CompletionTokens,
            result.TimeToFirstToken.TotalMilliseconds, result.Total.TotalMilliseconds);
    }

    private void Fail(SequenceSlot slot, InferenceException error)
    {
        GenerationJob job = slot.Job!;
        Release(slot);
        job.Fail(error);
    }

    private void Release(SequenceSlot slot)
    {
        long ticks = slot.Job!.Elapsed.Ticks;
        long average = Interlocked.Read(ref _averageServiceTicks);
        Interlocked.Exchange(ref _averageServiceTicks, average == 0 ? ticks : (average * 7 + ticks) / 8);
        slot.End(_step);
        Volatile.Write(ref _busySlots, _busySlots - 1);
    }

    private void EndCancelledOrStopping(SequenceSlot slot)
    {
        if (_stopping.IsCancellationRequested && !slot.Job!.CancellationToken.IsCancellationRequested)
        {
            Fail(slot, new InferenceException(InferenceErrorKind.Unavailable,
                "the inference engine shut down during the request; retry on another worker"));
            return;
        }
        Finish(slot, GenerationFinishReason.Cancelled, FlushText(slot));
    }

    /// <summary>A request that never got a slot ends with reason Cancelled and no tokens.</summary>
    private void CompleteUnstarted(GenerationJob job)
    {
        var result = new GenerationResult(GenerationFinishReason.Cancelled, job.PromptTokens.Length, 0, TimeSpan.Zero, job.Elapsed);
        job.Complete("", result);
        EngineLog.GenerationFinished(_logger, GenerationFinishReason.Cancelled, result.PromptTokens, 0, 0, 0, result.Total.TotalMilliseconds);
    }

    /// <summary>Frees the KV cells of the idle slot used longest ago; false when no idle slot holds any.</summary>
    private bool EvictLeastRecentlyUsedCache()
    {
        SequenceSlot? victim = null;
        foreach (SequenceSlot slot in _slots)
        {
            if (!slot.IsBusy && slot.CachedCount > 0 && (victim is null || slot.LastUsedStep < victim.LastUsedStep))
            {
                victim = slot;
            }
        }
        if (victim is null)
        {
            return false;
        }
        EngineLog.CacheEvicted(_logger, victim.Id, victim.CachedCount);
        ClearSequence(victim);
        return true;
    }

    /// <summary>The KV cache is full of running requests: the newest one gives its cells back and is refused.</summary>
    private void FailNewest()
    {
        SequenceSlot? newest = null;
        foreach (SequenceSlot slot in _slots)
        {
            if (slot.IsBusy && (newest is null || slot.AdmissionOrder > newest.AdmissionOrder))
            {
                newest = slot;
            }
        }
        if (newest is null)
        {
            return;
        }
        ClearSequence(newest);
        TimeSpan retryAfter = TimeSpan.FromSeconds(Math.Clamp(Math.Ceiling(AverageServiceTime.TotalSeconds), 1, 300));
        EngineLog.KvCacheFull(_logger, newest.Id, _totalCells, _busySlots);
        Fail(newest, new InferenceException(InferenceErrorKind.ResourceExhausted,
            $"the KV cache ({_totalCells} tokens shared by {_busySlots} running requests) is full; " +
            $"retry after {retryAfter.TotalSeconds:F0}s, with a shorter prompt or fewer max_tokens, or on another worker")
        {
            RetryAfter = retryAfter,
        });
    }

    private void ClearSequence(SequenceSlot slot)
    {
        LlamaApi.llama_memory_seq_rm(_memory, slot.Id, -1, -1);
        _usedCells -= slot.CachedCount;
        slot.Truncate(0);
    }

    private void FailBusySlots(InferenceException error)
    {
        foreach (SequenceSlot slot in _slots)
        {
            if (slot.IsBusy)
            {
                ClearSequence(slot);
                Fail(slot, error);
            }
        }
        ForgetBatch();
    }

    private void ShutDown()
    {
        foreach (SequenceSlot slot in _slots)
        {
            if (slot.IsBusy)
            {
                EndCancelledOrStopping(slot);
            }
        }
        FailWaiting(_queue.Close());
    }

    /// <summary>Requests still queued when the engine stops are refused as Unavailable.</summary>
    public static void FailWaiting(List<GenerationJob> waiting)
    {
        foreach (GenerationJob job in waiting)
        {
            job.Fail(new InferenceException(InferenceErrorKind.Unavailable,
                "the inference engine shut down before the request started; retry on another worker"));
        }
    }

    /// <summary>Polled by llama.cpp between graph nodes: stop a decode nobody is waiting for (a long prefill of a cancelled request).</summary>
    private bool NobodyWaitsForBatch()
    {
        if (_stopping.IsCancellationRequested)
        {
            return true;
        }
        if (_inBatchCount == 0)
        {
            return false;
        }
        for (int i = 0; i < _inBatchCount; i++)
        {
            GenerationJob? job = _inBatch[i].Job;
            if (job is null || !job.CancellationToken.IsCancellationRequested)
            {
                return false;
            }
        }
        return true;
    }

    private void SetAbortCallback(bool on)
    {
        if (on == _abortCallbackSet)
        {
            return;
        }
        if (on)
        {
            LlamaApi.llama_set_abort_callback(_context, &AbortDecodeWhenNobodyWaits, GCHandle.ToIntPtr(_self));
        }
        else
        {
            LlamaApi.llama_set_abort_callback(_context, null, IntPtr.Zero);
        }
        _abortCallbackSet = on;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static byte AbortDecodeWhenNobodyWaits(IntPtr state)
    {
        try
        {
            return GCHandle.FromIntPtr(state).Target is ContinuousBatchScheduler scheduler && scheduler.NobodyWaitsForBatch() ? (byte)1 : (byte)0;
        }
        catch
        {
            return 0;
        }
    }

    /// <summary>Call after the engine thread has ended and before the context is freed.</summary>
    public void Dispose()
    {
        if (!_context.IsClosed && _abortCallbackSet)
        {
            LlamaApi.llama_set_abort_callback(_context, null, IntPtr.Zero);
            _abortCallbackSet = false;
        }
        if (_self.IsAllocated)
        {
            _self.Free();
        }
        if (_batch.Token is not null)
        {
            LlamaApi.llama_batch_free(_batch);
            _batch = default;
        }
        foreach (SequenceSlot slot in _slots)
        {
            slot.End(_step);
        }
    }
}

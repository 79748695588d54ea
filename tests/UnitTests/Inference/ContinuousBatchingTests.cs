using SlmCluster.Inference;
using Xunit;

namespace SlmCluster.UnitTests.Inference;

[Collection(BatchingEngineCollection.Name)]
public sealed class ContinuousBatchingTests(BatchingEngineFixture fixture)
{
    private static readonly string[] Prompts =
    [
        "Once upon a time", "The little dog", "Tom and Sue went", "One day, a bird",
        "The sun was", "Lily had a", "A big red ball", "In the park there was",
    ];

    private static GenerationRequest Greedy(string prompt, int maxTokens = 48) => new() { Prompt = prompt, MaxTokens = maxTokens };

    private static GenerationRequest Seeded(string prompt, uint seed) => new()
    {
        Prompt = prompt,
        MaxTokens = 40,
        IgnoreEndOfSequence = true,
        Sampling = new SamplingOptions { Temperature = 1.0f, TopK = 40, TopP = 0.95f, MinP = 0.02f, RepeatPenalty = 1.1f, Seed = seed },
    };

    private static Task<Generated[]> RunConcurrentlyAsync(IInferenceEngine engine, IEnumerable<GenerationRequest> requests) =>
        Task.WhenAll(requests.Select(request => Task.Run(() => Generated.CollectAsync(engine, request))));

    private async Task<Generated[]> RunAloneAsync(IEnumerable<GenerationRequest> requests)
    {
        var results = new List<Generated>();
        foreach (GenerationRequest request in requests)
        {
            results.Add(await fixture.GenerateAloneAsync(request));
        }
        return [.. results];
    }

    private void AssertSameGreedyText(string prompt, int maxTokens, Generated alone, Generated batched)
    {
        if (alone.Text != batched.Text)
        {
            string why = GreedyTrace.Run(fixture.Model, prompt, maxTokens).ExplainDivergence(batched.Text);
            Assert.Fail($"[{prompt}] batched output differs from the same request alone: {why}\nalone:   [{alone.Text}]\nbatched: [{batched.Text}]");
        }
        Assert.Equal(alone.Final.CompletionTokens, batched.Final.CompletionTokens);
        Assert.Equal(alone.Final.FinishReason, batched.Final.FinishReason);
    }

    private int SlotsUsedSince(int logEntriesBefore) => SlotsStartedSince(logEntriesBefore).Distinct().Count();

    [Fact]
    public async Task Eight_concurrent_greedy_requests_each_return_token_for_token_what_they_return_alone()
    {
        GenerationRequest[] requests = Prompts.Select(p => Greedy(p)).ToArray();
        Generated[] alone = await RunAloneAsync(requests);
        Assert.Equal(Prompts.Length, alone.Select(g => g.Text).Distinct().Count());
        int logsBefore = fixture.Logs.Entries.Count;

        Generated[] batched = await RunConcurrentlyAsync(fixture.Engine, requests);

        for (int i = 0; i < requests.Length; i++)
        {
            AssertSameGreedyText(Prompts[i], 48, alone[i], batched[i]);
        }
        Assert.True(SlotsUsedSince(logsBefore) > 1, "the requests were not spread over several slots");
        Assert.Equal(0, fixture.Engine.ActiveSequences);
        Assert.Equal(0, fixture.Engine.QueueDepth);
    }

    [Fact]
    public async Task Seeded_sampling_gives_each_request_the_same_text_under_concurrency_as_alone()
    {
        GenerationRequest[] requests = Prompts.Select((p, i) => Seeded(p, (uint)(1000 + i))).ToArray();
        Generated[] alone = await RunAloneAsync(requests);

        Generated[] batched = await RunConcurrentlyAsync(fixture.Engine, requests);
        Generated[] again = await RunConcurrentlyAsync(fixture.Engine, requests.Reverse());

        for (int i = 0; i < requests.Length; i++)
        {
            Assert.Equal(alone[i].Text, batched[i].Text);
            Assert.Equal(alone[i].Text, again[requests.Length - 1 - i].Text);
        }
    }

    [Fact]
    public async Task Cancelling_one_stream_ends_it_as_Cancelled_frees_its_slot_and_leaves_the_other_outputs_unchanged()
    {
        GenerationRequest[] others = Prompts.Take(5).Select(p => Greedy(p, 64) with { IgnoreEndOfSequence = true }).ToArray();
        Generated[] alone = await RunAloneAsync(others);
        using var cancellation = new CancellationTokenSource();
        var victim = new GenerationRequest { Prompt = "The cat sat on", MaxTokens = 400, IgnoreEndOfSequence = true };

        Task<GenerationResult> victimRun = Task.Run(async () =>
        {
            GenerationResult? final = null;
            int pieces = 0;
            await foreach (GenerationUpdate update in fixture.Engine.GenerateAsync(victim, cancellation.Token))
            {
                if (++pieces == 3)
                {
                    cancellation.Cancel();
                }
                final = update.Final ?? final;
            }
            return final!;
        });
        Task<Generated[]> othersRun = RunConcurrentlyAsync(fixture.Engine, others);

        GenerationResult victimFinal = await victimRun;
        Generated[] batched = await othersRun;

        Assert.Equal(GenerationFinishReason.Cancelled, victimFinal.FinishReason);
        Assert.InRange(victimFinal.CompletionTokens, 3, 399);
        for (int i = 0; i < others.Length; i++)
        {
            AssertSameGreedyText(others[i].Prompt!, 64, alone[i], batched[i]);
        }
        Assert.Equal(0, fixture.Engine.ActiveSequences);
        // Every slot is free again: a full set of requests runs at once.
        Generated[] full = await RunConcurrentlyAsync(fixture.Engine, Prompts.Select(p => Greedy(p, 8)));
        Assert.All(full, g => Assert.NotEqual(GenerationFinishReason.Cancelled, g.Final.FinishReason));
    }

    [Fact]
    public async Task Request_sharing_a_prompt_prefix_with_a_finished_one_reuses_its_cached_tokens_and_gives_the_cold_output()
    {
        const string shared = "Once upon a time there was a little girl named Lily. She liked to play";
        GenerationRequest first = Greedy(shared + " with her big red ball.", 24);
        GenerationRequest second = Greedy(shared + " in the park with her mom.", 24);
        int sharedTokens = fixture.Model.Tokenize(shared, addSpecial: true, parseSpecial: false).Length;
        Generated cold = await fixture.GenerateAloneAsync(second);
        await using LlamaEngine engine = fixture.StartEngine(slots: 2);

        await Generated.CollectAsync(engine, first);
        Generated warm = await Generated.CollectAsync(engine, second);

        Assert.Equal(0, cold.Final.ReusedPromptTokens);
        Assert.InRange(warm.Final.ReusedPromptTokens, sharedTokens - 1, warm.Final.PromptTokens - 1);
        Assert.Equal(cold.Final.PromptTokens, warm.Final.PromptTokens);
        AssertSameGreedyText(second.Prompt!, 24, cold, warm);
        Assert.Contains(fixture.Logs.Entries, e => e.Message ==
            $"Prefix reuse: {warm.Final.ReusedPromptTokens} of {warm.Final.PromptTokens} prompt tokens already cached in slot 0" ||
            e.Message == $"Prefix reuse: {warm.Final.ReusedPromptTokens} of {warm.Final.PromptTokens} prompt tokens already cached in slot 1");
    }

    /// <summary>The slot of every request started since the log had <paramref name="logEntriesBefore"/> entries, in order.</summary>
    private int[] SlotsStartedSince(int logEntriesBefore) => fixture.Logs.Entries.Skip(logEntriesBefore)
        .Select(e => e.Message)
        .Where(m => m.StartsWith("Generation started in slot ", StringComparison.Ordinal))
        .Select(m => int.Parse(m.Split(' ')[4].TrimEnd(':'), System.Globalization.CultureInfo.InvariantCulture))
        .ToArray();

    /// <summary>Starts each request once the one before it has streamed its first piece, so they overlap in admission order.</summary>
    private static async Task<Generated[]> StartOverlappingAsync(IInferenceEngine engine, IEnumerable<GenerationRequest> requests)
    {
        var runs = new List<Task<Generated>>();
        foreach (GenerationRequest request in requests)
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task<Generated> run = Task.Run(() => Generated.CollectAsync(engine, request, onUpdate: _ => started.TrySetResult()));
            runs.Add(run);
            await Task.WhenAny(started.Task, run);
        }
        return await Task.WhenAll(runs);
    }

    /// <summary>
    /// Whether every request started since the log had <paramref name="logEntriesBefore"/> entries was placed while all
    /// the earlier ones still ran. The engine logs starts and ends from its one loop, so the order is exact; on a loaded
    /// machine a short request can end before the test's next one reaches the engine, and placement then sees free slots.
    /// </summary>
    private bool AllOverlappedSince(int logEntriesBefore)
    {
        string[] events = fixture.Logs.Entries.Skip(logEntriesBefore).Select(e => e.Message)
            .Where(m => m.StartsWith("Generation started in slot ", StringComparison.Ordinal) ||
                        m.StartsWith("Generation finished", StringComparison.Ordinal))
            .ToArray();
        int firstFinished = Array.FindIndex(events, m => m.StartsWith("Generation finished", StringComparison.Ordinal));
        int lastStarted = Array.FindLastIndex(events, m => m.StartsWith("Generation started", StringComparison.Ordinal));
        return firstFinished < 0 || lastStarted < firstFinished;
    }

    /// <summary>Runs <paramref name="attempt"/> on a fresh engine until its requests overlapped as it meant (at most five tries).</summary>
    private static async Task WhileNotOverlappingAsync(Func<Task<bool>> attempt)
    {
        for (int i = 0; i < 5; i++)
        {
            if (await attempt())
            {
                return;
            }
        }
        Assert.Fail("in five tries the requests never all ran at once: each ended before the next reached the engine");
    }

    private static GenerationRequest Long(string prompt, int maxTokens = 96) => Greedy(prompt, maxTokens) with { IgnoreEndOfSequence = true };

    [Fact]
    public async Task Overlapping_requests_run_in_adjacent_slots_rather_than_where_a_few_of_their_tokens_are_cached()
    {
        // A gap between running slots splits llama.cpp's decode into one more pass per step (see SlotPlacement).
        string[] cached = ["Lily went to the park", "Tom and Sue went", "The little dog ran", "One day, a bird sang",
            "The sun was hot", "A big red ball fell", "Ben had a toy", "In the park there was"];
        // Each opens like the prompt cached in slot 0, 7, 3, 5: placed by prefix, they would run in those four.
        string[] openings = ["Lily went to the shop", "In the park there were", "One day, a bird flew", "A big red ball rolled"];
        int[] sharedTokens = openings.Zip([cached[0], cached[7], cached[3], cached[5]], (o, c) =>
            fixture.Model.Tokenize(o, true, false).AsSpan().CommonPrefixLength(fixture.Model.Tokenize(c, true, false))).ToArray();
        Assert.All(sharedTokens, n => Assert.InRange(n, 3, SlotPlacement.PrefixWorthASplit - 1));

        await WhileNotOverlappingAsync(async () =>
        {
            await using LlamaEngine engine = fixture.StartEngine(slots: 8, batchInvariant: false);
            int logsBefore = fixture.Logs.Entries.Count;
            await StartOverlappingAsync(engine, cached.Select(p => Long(p, 200)));
            if (!AllOverlappedSince(logsBefore))
            {
                return false;
            }
            Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], SlotsStartedSince(logsBefore));
            logsBefore = fixture.Logs.Entries.Count;

            Generated[] runs = await StartOverlappingAsync(engine, openings.Select(p => Long(p)));
            if (!AllOverlappedSince(logsBefore))
            {
                return false;
            }

            int[] slots = SlotsStartedSince(logsBefore);
            Assert.Equal(0, slots[0]); // nothing was running: the longest cached prefix
            Assert.Equal([0, 1, 2, 3], slots.Order().ToArray());
            Assert.All(runs, r => Assert.Equal(96, r.Final.CompletionTokens));
            return true;
        });
    }

    [Fact]
    public async Task A_long_cached_prefix_takes_its_request_to_its_slot_even_apart_from_the_running_ones()
    {
        const string story = "Once upon a time there was a little girl named Lily. She liked to play with her big red ball in the park.";
        int storyTokens = fixture.Model.Tokenize(story, true, false).Length;
        Assert.True(storyTokens >= SlotPlacement.PrefixWorthASplit, $"the story is only {storyTokens} tokens");

        await WhileNotOverlappingAsync(async () =>
        {
            await using LlamaEngine engine = fixture.StartEngine(slots: 4, batchInvariant: false);
            int logsBefore = fixture.Logs.Entries.Count;
            await StartOverlappingAsync(engine, [Long("The little dog ran", 200), Long("Tom and Sue went", 200), Long("The sun was hot", 200), Long(story, 200)]);
            if (!AllOverlappedSince(logsBefore))
            {
                return false;
            }
            Assert.Equal([0, 1, 2, 3], SlotsStartedSince(logsBefore));
            logsBefore = fixture.Logs.Entries.Count;

            Generated[] runs = await StartOverlappingAsync(engine, [Long("The little dog ran away"), Long(story + " Then she went home.")]);
            if (!AllOverlappedSince(logsBefore))
            {
                return false;
            }

            Assert.Equal([0, 3], SlotsStartedSince(logsBefore));
            Assert.True(runs[1].Final.ReusedPromptTokens >= storyTokens - 1, $"reused {runs[1].Final.ReusedPromptTokens} of {storyTokens}");
            return true;
        });
    }

    [Fact]
    public async Task Same_request_again_reuses_all_but_the_last_prompt_token_and_repeats_its_output()
    {
        await using LlamaEngine engine = fixture.StartEngine(slots: 1);
        GenerationRequest request = Greedy("Lily and Ben went to the beach to build a big sand castle.", 20);

        Generated first = await Generated.CollectAsync(engine, request);
        Generated second = await Generated.CollectAsync(engine, request);

        Assert.Equal(first.Final.PromptTokens - 1, second.Final.ReusedPromptTokens);
        Assert.Equal(first.Text, second.Text);
    }

    [Fact]
    public async Task Growing_chat_prefills_only_the_new_turn()
    {
        await using LlamaEngine engine = fixture.StartEngine(slots: 2);
        var turn1 = new GenerationRequest { Messages = [new ChatTurn("user", "Once upon a time")], MaxTokens = 16 };
        Generated reply1 = await Generated.CollectAsync(engine, turn1);
        var turn2 = new GenerationRequest
        {
            Messages = [.. turn1.Messages!, new ChatTurn("assistant", reply1.Text.Trim()), new ChatTurn("user", "What did the cat do next?")],
            MaxTokens = 16,
        };

        Generated reply2 = await Generated.CollectAsync(engine, turn2);
        Generated cold2 = await fixture.GenerateAloneAsync(turn2);

        Assert.True(reply2.Final.ReusedPromptTokens >= reply1.Final.PromptTokens,
            $"turn 2 reused {reply2.Final.ReusedPromptTokens} tokens; turn 1's prompt alone was {reply1.Final.PromptTokens}");
        Assert.Equal(cold2.Text, reply2.Text);
    }

    [Fact]
    public async Task Long_prompt_prefilled_in_small_chunks_beside_a_decoding_request_changes_neither_output()
    {
        string story = string.Concat(Enumerable.Repeat("Lily went to the park with her mom. They saw a big dog and a little cat. ", 6));
        GenerationRequest longPrompt = Greedy(story + "Then Lily said", 24);
        GenerationRequest shortPrompt = Greedy("Once upon a time", 48) with { IgnoreEndOfSequence = true };
        Generated longAlone = await fixture.GenerateAloneAsync(longPrompt);
        Generated shortAlone = await fixture.GenerateAloneAsync(shortPrompt);
        Assert.True(longAlone.Final.PromptTokens > 8 * 16, $"the prompt is only {longAlone.Final.PromptTokens} tokens");
        await using LlamaEngine engine = fixture.StartEngine(slots: 2, batchSize: 16);

        Generated[] both = await RunConcurrentlyAsync(engine, [shortPrompt, longPrompt]);

        AssertSameGreedyText(shortPrompt.Prompt!, 48, shortAlone, both[0]);
        AssertSameGreedyText(longPrompt.Prompt!, 24, longAlone, both[1]);
    }

    [Fact]
    public async Task Full_KV_cache_refuses_the_newest_request_as_ResourceExhausted_and_the_oldest_finishes()
    {
        await using LlamaEngine engine = fixture.StartEngine(slots: 4, contextSize: 256, batchInvariant: false, unifiedKvCache: true);
        GenerationRequest[] requests = Prompts.Take(4).Select(p => Greedy(p, 200) with { IgnoreEndOfSequence = true }).ToArray();

        var outcomes = await Task.WhenAll(requests.Select(request => Task.Run(async () =>
        {
            try
            {
                return ((Generated?)await Generated.CollectAsync(engine, request), (InferenceException?)null);
            }
            catch (InferenceException ex)
            {
                return (null, ex);
            }
        })));

        Assert.Contains(outcomes, o => o.Item1 is { Final: { FinishReason: GenerationFinishReason.Length, CompletionTokens: 200 } });
        InferenceException refused = Assert.IsType<InferenceException>(outcomes.First(o => o.Item2 is not null).Item2);
        Assert.Equal(InferenceErrorKind.ResourceExhausted, refused.Kind);
        Assert.StartsWith($"the KV cache ({engine.KvCacheSize} tokens shared by", refused.Message);
        Assert.NotNull(refused.RetryAfter);
        Generated after = await Generated.CollectAsync(engine, Greedy("Once upon a time", 8));
        Assert.InRange(after.Final.CompletionTokens, 1, 8); // the engine goes on serving
        Assert.Equal(0, engine.ActiveSequences);
    }

    [Fact]
    public async Task Prompt_longer_than_one_request_may_hold_is_refused_as_InvalidArgument_with_the_numbers()
    {
        string prompt = string.Concat(Enumerable.Repeat("Once upon a time there was a cat. ", 300));
        int tokens = fixture.Model.Tokenize(prompt, addSpecial: true, parseSpecial: false).Length;
        Assert.True(tokens > fixture.Engine.ContextSize);

        InferenceException error = await Assert.ThrowsAsync<InferenceException>(() => Generated.CollectAsync(fixture.Engine, Greedy(prompt)));

        Assert.Equal(InferenceErrorKind.InvalidArgument, error.Kind);
        Assert.Equal($"prompt is {tokens} tokens; the context holds {fixture.Engine.ContextSize} (prompt and generated tokens together), " +
                     $"so shorten the prompt to fewer than {fixture.Engine.ContextSize} tokens", error.Message);
        Assert.Equal(fixture.Model.Metadata.ContextLength, fixture.Engine.ContextSize);
    }
}

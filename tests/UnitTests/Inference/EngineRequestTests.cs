using SlmCluster.Inference;
using Xunit;

namespace SlmCluster.UnitTests.Inference;

[Collection(StoriesEngineCollection.Name)]
public sealed class EngineRequestTests(StoriesEngineFixture fixture)
{
    private static async Task<InferenceException> RefusedAsync(IInferenceEngine engine, GenerationRequest request)
    {
        return await Assert.ThrowsAsync<InferenceException>(async () =>
        {
            await foreach (GenerationUpdate _ in engine.GenerateAsync(request))
            {
            }
        });
    }

    [Fact]
    public void Two_turn_chat_renders_with_the_default_template_when_the_model_has_none()
    {
        var request = new GenerationRequest
        {
            Messages = [new ChatTurn("system", "You tell short stories."), new ChatTurn("user", "Tell me about a cat.")],
        };

        Assert.Null(fixture.Engine.Model.ChatTemplate);
        Assert.Equal("System: You tell short stories.\nUser: Tell me about a cat.\nAssistant:", fixture.Engine.RenderPrompt(request));
    }

    [Fact]
    public void Raw_prompt_renders_as_itself()
    {
        Assert.Equal("Once upon a time", fixture.Engine.RenderPrompt(new GenerationRequest { Prompt = "Once upon a time" }));
    }

    [Fact]
    public async Task Chat_request_decodes_the_rendered_prompt()
    {
        var chat = new GenerationRequest { Messages = [new ChatTurn("user", "Once upon a time")], MaxTokens = 12 };
        var raw = new GenerationRequest { Prompt = "User: Once upon a time\nAssistant:", MaxTokens = 12 };

        Generated fromChat = await fixture.GenerateAsync(chat);
        Generated fromRaw = await fixture.GenerateAsync(raw);

        Assert.Equal(fromRaw.Text, fromChat.Text);
        Assert.Equal(fromRaw.Final.PromptTokens, fromChat.Final.PromptTokens);
    }

    [Fact]
    public async Task Prompt_longer_than_the_context_is_refused_with_the_numbers()
    {
        string prompt = string.Concat(Enumerable.Repeat("Once upon a time there was a cat. ", 300));
        int tokens = fixture.Engine.LoadedModel.Tokenize(prompt, addSpecial: true, parseSpecial: false).Length;
        Assert.True(tokens > fixture.Engine.ContextSize);

        InferenceException error = await RefusedAsync(fixture.Engine, new GenerationRequest { Prompt = prompt });

        Assert.Equal(InferenceErrorKind.InvalidArgument, error.Kind);
        Assert.StartsWith($"prompt is {tokens} tokens; the context holds {fixture.Engine.ContextSize}", error.Message);
    }

    public static TheoryData<string, GenerationRequest> InvalidRequests => new()
    {
        { "neither a prompt nor messages", new GenerationRequest() },
        { "neither a prompt nor messages", new GenerationRequest { Prompt = "", Messages = [] } },
        { "both a prompt and messages", new GenerationRequest { Prompt = "a", Messages = [new ChatTurn("user", "b")] } },
        { "message 0 has no role", new GenerationRequest { Messages = [new ChatTurn(" ", "b")] } },
        { "max_tokens is 0", new GenerationRequest { Prompt = "a", MaxTokens = 0 } },
        { "max_tokens is 4097", new GenerationRequest { Prompt = "a", MaxTokens = 4097 } },
        { "temperature is -0.5", new GenerationRequest { Prompt = "a", Sampling = new SamplingOptions { Temperature = -0.5f } } },
        { "temperature is NaN", new GenerationRequest { Prompt = "a", Sampling = new SamplingOptions { Temperature = float.NaN } } },
        { "top_p is 1.5", new GenerationRequest { Prompt = "a", Sampling = new SamplingOptions { TopP = 1.5f } } },
        { "top_k is -1", new GenerationRequest { Prompt = "a", Sampling = new SamplingOptions { TopK = -1 } } },
        { "min_p is -0.1", new GenerationRequest { Prompt = "a", Sampling = new SamplingOptions { MinP = -0.1f } } },
        { "repeat_penalty is 0", new GenerationRequest { Prompt = "a", Sampling = new SamplingOptions { RepeatPenalty = 0 } } },
        { "stop string 1 is empty", new GenerationRequest { Prompt = "a", Stop = ["x", ""] } },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public async Task Invalid_request_is_refused_as_InvalidArgument_saying_what_is_wrong(string expectedMessagePart, GenerationRequest request)
    {
        InferenceException error = await RefusedAsync(fixture.Engine, request);

        Assert.Equal(InferenceErrorKind.InvalidArgument, error.Kind);
        Assert.Contains(expectedMessagePart, error.Message);
    }

    [Fact]
    public async Task Concurrent_callers_each_get_their_own_greedy_text()
    {
        string[] prompts = ["Once upon a time", "The little dog", "Tom and Sue went", "One day, a bird", "The sun was", "Lily had a"];
        var expected = new Dictionary<string, string>();
        foreach (string prompt in prompts)
        {
            expected[prompt] = (await fixture.GenerateAsync(new GenerationRequest { Prompt = prompt, MaxTokens = 24 })).Text;
        }
        Assert.Equal(prompts.Length, expected.Values.Distinct().Count());

        Task<Generated>[] callers = prompts
            .Select(prompt => Task.Run(() => fixture.GenerateAsync(new GenerationRequest { Prompt = prompt, MaxTokens = 24 })))
            .ToArray();
        Generated[] results = await Task.WhenAll(callers);

        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(expected[prompts[i]], results[i].Text);
        }
        Assert.Equal(0, fixture.Engine.QueueDepth);
        Assert.Equal(0, fixture.Engine.ActiveSequences);
    }

    [Fact]
    public async Task Caller_leaving_the_stream_early_frees_the_engine_for_the_next_request()
    {
        var request = new GenerationRequest { Prompt = "Once upon a time", MaxTokens = 1000, IgnoreEndOfSequence = true };
        await foreach (GenerationUpdate update in fixture.Engine.GenerateAsync(request))
        {
            break;
        }

        Generated next = await fixture.GenerateAsync(new GenerationRequest { Prompt = "Once upon a time", MaxTokens = 5, IgnoreEndOfSequence = true });

        Assert.Equal(5, next.Final.CompletionTokens);
    }

    [Fact]
    public async Task Already_cancelled_request_ends_with_reason_Cancelled_and_no_tokens()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Generated result = await fixture.GenerateAsync(new GenerationRequest { Prompt = "Once upon a time" }, cancelled.Token);

        Assert.Equal(GenerationFinishReason.Cancelled, result.Final.FinishReason);
        Assert.Equal(0, result.Final.CompletionTokens);
        Assert.Equal("", result.Text);
    }

    [Fact]
    public async Task Two_thread_engine_decodes_on_its_own_threadpool_and_gives_the_one_thread_greedy_text()
    {
        var request = new GenerationRequest { Prompt = "Once upon a time", MaxTokens = 40, IgnoreEndOfSequence = true };
        Generated oneThread = await fixture.GenerateAsync(request);

        // The pool's second thread spins between decodes: a short request keeps that cost small on a busy CI box.
        await using var engine = LlamaEngine.Start(fixture.Engine.LoadedModel, new EngineOptions { Threads = 2 }, fixture.LoggerFactory);
        Assert.True(engine.HasPersistentThreadpool);
        Generated twoThreads = await Generated.CollectAsync(engine, request);
        Generated again = await Generated.CollectAsync(engine, request with { Prompt = "Once upon a time there" });

        // ggml splits each matrix by rows between the threads, so every logit is computed as with one thread.
        Assert.Equal(oneThread.Text, twoThreads.Text);
        Assert.Equal(40, twoThreads.Final.CompletionTokens);
        Assert.Equal(40, again.Final.CompletionTokens);
    }
}

using SlmCluster.Inference;
using Xunit;

namespace SlmCluster.UnitTests.Inference.Embeddings;

/// <summary>The engine's embedding context, on one engine over stories260K that serves generation and embeddings.</summary>
public sealed class EmbeddingEngineTests : IAsyncLifetime
{
    private const double Tolerance = 1e-4;
    private LlamaEngine _engine = null!;
    private LlamaEngine _generationOnly = null!;

    public Task InitializeAsync()
    {
        // Small batches, so a request of a few inputs spans several decodes and shares them with others.
        _engine = LlamaEngine.Start(new EngineOptions
        {
            ModelPath = TestModels.Stories260K,
            Threads = 1,
            Slots = 2,
            Serves = ServedTasks.Both,
            Embedding = new EmbeddingOptions { BatchSize = 64, MaxSequences = 4 },
        }, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        _generationOnly = LlamaEngine.Start(new EngineOptions { ModelPath = TestModels.Stories260K, Threads = 1 },
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        await _generationOnly.DisposeAsync();
    }

    private static EmbeddingRequest Of(params string[] texts) => new() { Inputs = texts.Select(EmbeddingInput.OfText).ToArray() };

    [Fact]
    public async Task Every_vector_has_unit_length_and_the_models_width()
    {
        EmbeddingResult result = await _engine.EmbedAsync(Of("Once upon a time", "The cat sat on the mat."));

        Assert.Equal(2, result.Vectors.Count);
        foreach (float[] vector in result.Vectors)
        {
            Assert.Equal(_engine.EmbeddingDimensions, vector.Length);
            Assert.Equal(1.0, Math.Sqrt(vector.Sum(v => (double)v * v)), 4);
        }
        Assert.True(result.PromptTokens > 4);
    }

    [Fact]
    public async Task An_input_in_a_batch_gets_the_vector_it_gets_alone_and_different_inputs_differ()
    {
        string[] texts = ["Lily went to the park.", "Tom had a red ball.", "Once upon a time", "The sun was hot.", "A big dog ran.", "Lily went to the park."];

        EmbeddingResult batch = await _engine.EmbedAsync(Of(texts));
        EmbeddingResult alone = await _engine.EmbedAsync(Of(texts[1]));

        Assert.Equal(1.0, EmbeddingVectors.Cosine(batch.Vectors[1], alone.Vectors[0]), 4);
        Assert.Equal(1.0, EmbeddingVectors.Cosine(batch.Vectors[0], batch.Vectors[5]), 4);
        Assert.True(EmbeddingVectors.Cosine(batch.Vectors[0], batch.Vectors[1]) < 1 - Tolerance);
    }

    [Fact]
    public async Task Concurrent_requests_and_a_running_generation_each_get_their_own_answer()
    {
        Task<Generated> generation = Generated.CollectAsync(_engine, new GenerationRequest { Prompt = "Once upon a time", MaxTokens = 24, IgnoreEndOfSequence = true });
        Task<EmbeddingResult>[] requests = Enumerable.Range(0, 6).Select(i => _engine.EmbedAsync(Of($"Story number {i} begins", "Lily went to the park."))).ToArray();

        EmbeddingResult[] results = await Task.WhenAll(requests);
        Generated generated = await generation;

        Assert.Equal(24, generated.Final.CompletionTokens);
        for (int i = 1; i < results.Length; i++)
        {
            Assert.Equal(1.0, EmbeddingVectors.Cosine(results[0].Vectors[1], results[i].Vectors[1]), 4);
            Assert.True(EmbeddingVectors.Cosine(results[0].Vectors[0], results[i].Vectors[0]) < 1 - Tolerance);
        }
    }

    [Fact]
    public async Task A_generation_keeps_going_beside_a_stream_of_embeddings_which_decode_on_the_budget_its_tokens_earn()
    {
        const int generatedTokens = 64;
        EmbeddingStatistics before = _engine.EmbeddingStatistics;
        using var stop = new CancellationTokenSource();
        int embedded = 0;
        async Task StreamAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                await _engine.EmbedAsync(Of("Lily went to the park.", "Tom had a red ball."));
                Interlocked.Increment(ref embedded);
            }
        }
        // Two requests always in flight, so embeddings wait at every generation step; the stream runs before the generation starts.
        Task[] streams = [Task.Run(StreamAsync), Task.Run(StreamAsync)];
        while (Volatile.Read(ref embedded) < 2)
        {
            await Task.WhenAny(streams.Append(Task.Delay(10)));
        }

        int embeddedBefore = Volatile.Read(ref embedded);
        Generated generated = await Generated.CollectAsync(_engine, new GenerationRequest { Prompt = "Once upon a time", MaxTokens = generatedTokens, IgnoreEndOfSequence = true });
        int embeddedDuring = Volatile.Read(ref embedded) - embeddedBefore;
        await stop.CancelAsync();
        await Task.WhenAll(streams);
        EmbeddingStatistics after = _engine.EmbeddingStatistics;

        long sharedTokens = after.SharedTokens - before.SharedTokens;
        long earned = after.GenerationTokensShared - before.GenerationTokensShared;
        Assert.Equal(generatedTokens, generated.Final.CompletionTokens);
        Assert.True(embeddedDuring > 0, "no embedding request was answered while the generation ran");
        Assert.True(after.SharedDecodes > before.SharedDecodes, "no embedding decode ran beside the generation");
        Assert.True(earned > 0, "generation decoded nothing while embeddings waited");
        // One embedding token per generation token (the default budget), plus at most one batch (64) saved before the test.
        Assert.True(sharedTokens <= earned + 64, $"embeddings decoded {sharedTokens} tokens beside generation's {earned}");
    }

    [Fact]
    public async Task Dimensions_keep_the_first_values_at_unit_length()
    {
        EmbeddingResult full = await _engine.EmbedAsync(Of("Once upon a time"));
        EmbeddingResult cut = await _engine.EmbedAsync(Of("Once upon a time") with { Dimensions = 16 });

        Assert.Equal(16, cut.Vectors[0].Length);
        Assert.Equal(1.0, Math.Sqrt(cut.Vectors[0].Sum(v => (double)v * v)), 4);
        Assert.Equal(1.0, EmbeddingVectors.Cosine(cut.Vectors[0], EmbeddingVectors.Normalized(full.Vectors[0], 16)), 4);
    }

    [Fact]
    public async Task Token_ids_embed_as_the_text_they_spell()
    {
        int[] tokens = _engine.LoadedModel.Tokenize("Once upon a time", addSpecial: true, parseSpecial: false);

        EmbeddingResult fromText = await _engine.EmbedAsync(Of("Once upon a time"));
        EmbeddingResult fromTokens = await _engine.EmbedAsync(new EmbeddingRequest { Inputs = [EmbeddingInput.OfTokens(tokens)] });

        Assert.Equal(1.0, EmbeddingVectors.Cosine(fromText.Vectors[0], fromTokens.Vectors[0]), 5);
    }

    [Fact]
    public async Task An_input_longer_than_a_decode_is_refused_unless_truncation_is_asked_for()
    {
        string longText = string.Join(' ', Enumerable.Repeat("the cat sat on the mat", 40));

        InferenceException refused = await Assert.ThrowsAsync<InferenceException>(() => _engine.EmbedAsync(Of("short", longText)));
        EmbeddingResult truncated = await _engine.EmbedAsync(Of(longText) with { Truncate = true });

        Assert.Equal(InferenceErrorKind.InvalidArgument, refused.Kind);
        Assert.Contains("input[1]", refused.Message, StringComparison.Ordinal);
        Assert.Contains("at most 64 tokens", refused.Message, StringComparison.Ordinal);
        Assert.Equal(1, truncated.TruncatedInputs);
        Assert.Equal(64, truncated.PromptTokens);
    }

    [Theory]
    [InlineData(new[] { -1 }, "token id -1")]
    [InlineData(new[] { int.MaxValue }, "token id 2147483647")]
    [InlineData(new int[0], "input[0] is empty")]
    public async Task Token_ids_outside_the_vocabulary_or_none_are_refused(int[] tokens, string expected)
    {
        InferenceException refused = await Assert.ThrowsAsync<InferenceException>(() =>
            _engine.EmbedAsync(new EmbeddingRequest { Inputs = [EmbeddingInput.OfTokens(tokens)] }));

        Assert.Equal(InferenceErrorKind.InvalidArgument, refused.Kind);
        Assert.Contains(expected, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_inputs_an_empty_text_and_too_many_dimensions_are_refused()
    {
        InferenceException none = await Assert.ThrowsAsync<InferenceException>(() => _engine.EmbedAsync(new EmbeddingRequest { Inputs = [] }));
        InferenceException empty = await Assert.ThrowsAsync<InferenceException>(() => _engine.EmbedAsync(Of("a", "")));
        InferenceException wide = await Assert.ThrowsAsync<InferenceException>(() => _engine.EmbedAsync(Of("a") with { Dimensions = _engine.EmbeddingDimensions + 1 }));

        Assert.Contains("input is empty", none.Message, StringComparison.Ordinal);
        Assert.Contains("input[1] is empty", empty.Message, StringComparison.Ordinal);
        Assert.Contains("dimensions", wide.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_generation_only_engine_refuses_embeddings_and_says_why()
    {
        InferenceException refused = await Assert.ThrowsAsync<InferenceException>(() => _generationOnly.EmbedAsync(Of("Once upon a time")));

        Assert.Equal(InferenceErrorKind.InvalidArgument, refused.Kind);
        Assert.Contains("generation only", refused.Message, StringComparison.Ordinal);
    }
}

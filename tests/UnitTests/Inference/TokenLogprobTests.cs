using System.Text;
using SlmCluster.Inference;
using SlmCluster.Inference.Native;
using Xunit;
using Xunit.Abstractions;

namespace SlmCluster.UnitTests.Inference;

/// <summary>
/// Token logprobs from the engine against the model's own logits, read here through the raw binding in a context of
/// the test's own and turned into log-softmax by the test itself.
/// </summary>
[Collection(StoriesEngineCollection.Name)]
public sealed class TokenLogprobTests(StoriesEngineFixture fixture, ITestOutputHelper output)
{
    private const string Prompt = "Once upon a time";
    private const double Tolerance = 1e-3;

    private static GenerationRequest Greedy(int maxTokens) => new() { Prompt = Prompt, MaxTokens = maxTokens, IgnoreEndOfSequence = true };

    private static List<GeneratedToken> Entries(Generated generated) => generated.Updates.SelectMany(u => u.Logprobs ?? []).ToList();

    [Fact]
    public async Task Greedy_logprobs_and_top_alternatives_are_the_log_softmax_of_the_models_logits()
    {
        Generated run = await fixture.GenerateAsync(Greedy(24) with { Logprobs = true, TopLogprobs = 5 });
        List<GeneratedToken> entries = Entries(run);

        Assert.Equal(run.Final.CompletionTokens, entries.Count);
        List<double[]> reference = ReferenceLogSoftmax(fixture.Engine.LoadedModel, Prompt, entries.Select(e => e.Id).ToArray());
        for (int i = 0; i < entries.Count; i++)
        {
            GeneratedToken entry = entries[i];
            double[] expected = reference[i];
            Assert.Equal(expected[entry.Id], entry.Logprob, Tolerance);
            Assert.True(entry.Logprob <= 0, $"token {i}: a log probability is at most 0, got {entry.Logprob}");

            // Greedy picked the most likely token: it is the first alternative.
            Assert.Equal(5, entry.TopAlternatives.Count);
            Assert.Equal(entry.Id, entry.TopAlternatives[0].Id);
            Assert.Equal(entry.Logprob, entry.TopAlternatives[0].Logprob);

            // The alternatives are the five best by the reference, best first (equal up to rounding: compare values by rank).
            double[] bestFive = expected.OrderDescending().Take(5).ToArray();
            for (int rank = 0; rank < 5; rank++)
            {
                TokenAlternative alternative = entry.TopAlternatives[rank];
                Assert.Equal(bestFive[rank], alternative.Logprob, Tolerance);
                Assert.Equal(expected[alternative.Id], alternative.Logprob, Tolerance);
                Assert.Equal(fixture.Engine.LoadedModel.TokenBytes(alternative.Id), alternative.Bytes);
                Assert.Equal(Encoding.UTF8.GetString(alternative.Bytes), alternative.Text);
            }
            Assert.True(entry.TopAlternatives.Zip(entry.TopAlternatives.Skip(1)).All(p => p.First.Logprob >= p.Second.Logprob), $"token {i}: alternatives are best first");
        }
        output.WriteLine(string.Join(" ", entries.Select(e => $"[{e.Text}]{e.Logprob:F3}")));
    }

    [Fact]
    public async Task Sampled_tokens_report_the_models_distribution_not_the_samplers()
    {
        // Temperature and top-k change what is picked, not the reported probabilities: those stay the model's own.
        var request = Greedy(12) with { Logprobs = true, Sampling = new SamplingOptions { Temperature = 1.5f, TopK = 3, Seed = 7 } };
        List<GeneratedToken> entries = Entries(await fixture.GenerateAsync(request));

        List<double[]> reference = ReferenceLogSoftmax(fixture.Engine.LoadedModel, Prompt, entries.Select(e => e.Id).ToArray());
        Assert.Equal(12, entries.Count);
        for (int i = 0; i < entries.Count; i++)
        {
            Assert.Equal(reference[i][entries[i].Id], entries[i].Logprob, Tolerance);
            Assert.Empty(entries[i].TopAlternatives);
        }
    }

    [Fact]
    public async Task In_a_plain_ASCII_run_every_update_carries_the_entries_of_exactly_its_text()
    {
        Generated run = await fixture.GenerateAsync(Greedy(20) with { Logprobs = true });

        Assert.All(run.Updates, update =>
        {
            IReadOnlyList<GeneratedToken> entries = update.Logprobs ?? [];
            Assert.Equal(update.Text, Encoding.UTF8.GetString(entries.SelectMany(e => e.Bytes).ToArray()));
            Assert.Equal(update.Text, string.Concat(entries.Select(e => e.Text)));
        });
        Assert.Equal(run.Text, Encoding.UTF8.GetString(Entries(run).SelectMany(e => e.Bytes).ToArray()));
        Assert.True(Entries(run).Count == run.Final.CompletionTokens && run.Final.CompletionTokens == 20);
    }

    [Fact]
    public async Task A_stop_string_drops_the_entries_of_the_tokens_it_cut_away()
    {
        Generated full = await fixture.GenerateAsync(Greedy(32) with { Logprobs = true });
        List<GeneratedToken> all = Entries(full);
        // As in the stop string test of the text: the end of a word, a space and the start of the next.
        string[] words = full.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(words.Length >= 6, $"need a longer greedy output than [{full.Text}]");
        string stop = words[3][^Math.Min(2, words[3].Length)..] + " " + words[4][..Math.Min(2, words[4].Length)];
        int stopAt = full.Text.IndexOf(stop, StringComparison.Ordinal);

        Generated stopped = await fixture.GenerateAsync(Greedy(32) with { Logprobs = true, Stop = [stop] });
        List<GeneratedToken> kept = Entries(stopped);

        // Reported: every token with text in the answer (where it starts before the cut), none of the ones after.
        int expected = 0;
        for (int start = 0; expected < all.Count && start < stopAt; expected++)
        {
            start += all[expected].Text.Length;
        }
        output.WriteLine($"stop [{stop}] at {stopAt}; {stopped.Final.CompletionTokens} tokens generated, {kept.Count} reported");
        Assert.Equal(full.Text[..stopAt], stopped.Text);
        Assert.Equal(all.Take(expected).Select(e => e.Id), kept.Select(e => e.Id));
        Assert.True(kept.Count < stopped.Final.CompletionTokens, "the tokens of the stop string are not reported");
        Assert.StartsWith(stopped.Text, Encoding.UTF8.GetString(kept.SelectMany(e => e.Bytes).ToArray()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_the_option_no_update_carries_logprobs_and_top_logprobs_alone_turns_them_on()
    {
        Generated plain = await fixture.GenerateAsync(Greedy(8));
        Generated topOnly = await fixture.GenerateAsync(Greedy(8) with { TopLogprobs = 2 });

        Assert.All(plain.Updates, u => Assert.Null(u.Logprobs));
        Assert.Equal(plain.Text, topOnly.Text);
        Assert.Equal(8, Entries(topOnly).Count);
        Assert.All(Entries(topOnly), e => Assert.Equal(2, e.TopAlternatives.Count));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(21)]
    public async Task Top_logprobs_outside_0_to_20_is_an_invalid_argument(int top)
    {
        var error = await Assert.ThrowsAsync<InferenceException>(() => fixture.GenerateAsync(Greedy(4) with { TopLogprobs = top }));

        Assert.Equal(InferenceErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("top_logprobs", error.Message);
    }

    /// <summary>
    /// Decodes the prompt and then <paramref name="generated"/> one token at a time in a context of its own (one
    /// sequence, one thread) and returns, for each generated position, the log-softmax of the logits there.
    /// </summary>
    private static unsafe List<double[]> ReferenceLogSoftmax(LlamaModel model, string prompt, int[] generated)
    {
        int[] tokens = model.Tokenize(prompt, addSpecial: true, parseSpecial: false);
        LlamaContextParams parameters = LlamaApi.llama_context_default_params();
        parameters.NCtx = 256;
        parameters.NBatch = 256;
        parameters.NUbatch = 256;
        parameters.NSeqMax = 1;
        parameters.NThreads = 1;
        parameters.NThreadsBatch = 1;
        using SafeLlamaContextHandle context = LlamaApi.llama_init_from_model(model.Handle, parameters);
        Assert.False(context.IsInvalid, "llama.cpp could not create the reference context");
        LlamaBatch batch = LlamaApi.llama_batch_init(256, 0, 1);
        var rows = new List<double[]>();
        try
        {
            int position = 0;
            ReadOnlySpan<int> next = tokens;
            for (int i = 0; i < generated.Length; i++)
            {
                for (int j = 0; j < next.Length; j++)
                {
                    batch.Token[j] = next[j];
                    batch.Pos[j] = position++;
                    batch.NSeqId[j] = 1;
                    batch.SeqId[j][0] = 0;
                    batch.Logits[j] = (sbyte)(j == next.Length - 1 ? 1 : 0);
                }
                batch.NTokens = next.Length;
                Assert.Equal(0, LlamaApi.llama_decode(context, batch));

                var logits = new ReadOnlySpan<float>(LlamaApi.llama_get_logits_ith(context, -1), model.Metadata.VocabSize);
                double max = double.NegativeInfinity;
                foreach (float x in logits)
                {
                    max = Math.Max(max, x);
                }
                double sum = 0;
                foreach (float x in logits)
                {
                    sum += Math.Exp(x - max);
                }
                double logSum = max + Math.Log(sum);
                var row = new double[logits.Length];
                for (int t = 0; t < logits.Length; t++)
                {
                    row[t] = logits[t] - logSum;
                }
                rows.Add(row);
                next = generated.AsSpan(i, 1);
            }
        }
        finally
        {
            LlamaApi.llama_batch_free(batch);
        }
        return rows;
    }
}

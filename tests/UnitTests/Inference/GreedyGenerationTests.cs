using SlmCluster.Inference;
using Xunit;
using Xunit.Abstractions;

namespace SlmCluster.UnitTests.Inference;

[Collection(StoriesEngineCollection.Name)]
public sealed class GreedyGenerationTests(StoriesEngineFixture fixture, ITestOutputHelper output)
{
    private static GenerationRequest Greedy(string prompt, int maxTokens) => new() { Prompt = prompt, MaxTokens = maxTokens };

    [Fact]
    public async Task Greedy_story_continuation_is_readable_and_identical_every_time()
    {
        Generated first = await fixture.GenerateAsync(Greedy("Once upon a time", 32));
        Generated second = await fixture.GenerateAsync(Greedy("Once upon a time", 32));
        output.WriteLine($"[{first.Text}] {first.Final}");

        Assert.Equal(first.Text, second.Text);
        Assert.Equal(first.Final.CompletionTokens, second.Final.CompletionTokens);
        Assert.True(first.Final.CompletionTokens > 0);
        // Readable English: mostly letters and spaces, several words, no replacement characters.
        string[] words = first.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(words.Length >= 5, $"expected several words, got [{first.Text}]");
        Assert.DoesNotContain('\uFFFD', first.Text);
        double letters = first.Text.Count(c => char.IsLetter(c) || c == ' ') / (double)first.Text.Length;
        Assert.True(letters > 0.85, $"expected mostly letters, got [{first.Text}]");
        Assert.Contains(first.Text, t => t is 'a' or 'e' or 'i' or 'o' or 'u');
    }

    [Fact]
    public async Task Max_tokens_ends_the_generation_with_reason_Length()
    {
        Generated result = await fixture.GenerateAsync(Greedy("Once upon a time", 7) with { IgnoreEndOfSequence = true });

        Assert.Equal(GenerationFinishReason.Length, result.Final.FinishReason);
        Assert.Equal(7, result.Final.CompletionTokens);
    }

    [Fact]
    public async Task Last_token_text_travels_in_the_final_update_not_in_a_message_of_its_own()
    {
        Generated longer = await fixture.GenerateAsync(Greedy("Once upon a time", 8) with { IgnoreEndOfSequence = true });
        Generated result = await fixture.GenerateAsync(Greedy("Once upon a time", 7) with { IgnoreEndOfSequence = true });

        // At most one update per token, the final one included: none is left to carry the end alone.
        Assert.NotEmpty(result.Updates[^1].Text);
        Assert.InRange(result.Updates.Count, 1, 7);
        Assert.StartsWith(result.Text, longer.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usage_counts_prompt_tokens_with_BOS_and_times_are_measured()
    {
        Generated result = await fixture.GenerateAsync(Greedy("Once upon a time", 4));
        int[] promptTokens = fixture.Engine.LoadedModel.Tokenize("Once upon a time", addSpecial: true, parseSpecial: false);

        Assert.Equal(promptTokens.Length, result.Final.PromptTokens);
        Assert.Equal(fixture.Engine.LoadedModel.BeginningOfSequenceToken, promptTokens[0]);
        Assert.True(result.Final.TimeToFirstToken > TimeSpan.Zero);
        Assert.True(result.Final.Total >= result.Final.TimeToFirstToken);
    }

    [Fact]
    public async Task Stop_string_spanning_two_tokens_cuts_the_text_before_it()
    {
        string full = (await fixture.GenerateAsync(Greedy("Once upon a time", 32))).Text;
        // The end of one word, the space and the start of the next cannot be a single token.
        string[] words = full.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(words.Length >= 6, $"need a longer greedy output than [{full}]");
        string stop = words[3][^Math.Min(2, words[3].Length)..] + " " + words[4][..Math.Min(2, words[4].Length)];
        int stopAt = full.IndexOf(stop, StringComparison.Ordinal);
        output.WriteLine($"stop [{stop}] at {stopAt} in [{full}]");

        Generated stopped = await fixture.GenerateAsync(Greedy("Once upon a time", 32) with { Stop = ["NEVER-THERE", stop] });

        Assert.Equal(GenerationFinishReason.Stop, stopped.Final.FinishReason);
        Assert.Equal(full[..stopAt], stopped.Text);
        Assert.All(stopped.Updates, u => Assert.DoesNotContain(stop, u.Text));
        Assert.True(stopped.Final.CompletionTokens < 32);
    }

    [Fact]
    public async Task Stop_string_that_never_appears_changes_nothing()
    {
        Generated plain = await fixture.GenerateAsync(Greedy("Once upon a time", 20));
        Generated withStop = await fixture.GenerateAsync(Greedy("Once upon a time", 20) with { Stop = ["zzqx"] });

        Assert.Equal(plain.Text, withStop.Text);
        Assert.Equal(plain.Final.FinishReason, withStop.Final.FinishReason);
    }

    [Fact]
    public async Task Seeded_sampling_repeats_for_one_seed_and_differs_between_seeds()
    {
        GenerationRequest Sampled(uint seed) => new()
        {
            Prompt = "Once upon a time",
            MaxTokens = 40,
            IgnoreEndOfSequence = true,
            Sampling = new SamplingOptions { Temperature = 1.0f, TopK = 40, TopP = 0.95f, MinP = 0.02f, Seed = seed },
        };

        string a1 = (await fixture.GenerateAsync(Sampled(42))).Text;
        string a2 = (await fixture.GenerateAsync(Sampled(42))).Text;
        string b = (await fixture.GenerateAsync(Sampled(4242))).Text;
        output.WriteLine($"[{a1}]\n[{b}]");

        Assert.Equal(a1, a2);
        Assert.NotEqual(a1, b);
    }

    [Fact]
    public async Task Repeat_penalty_changes_greedy_output()
    {
        string plain = (await fixture.GenerateAsync(Greedy("Once upon a time", 48) with { IgnoreEndOfSequence = true })).Text;
        string penalised = (await fixture.GenerateAsync(Greedy("Once upon a time", 48) with
        {
            IgnoreEndOfSequence = true,
            Sampling = new SamplingOptions { RepeatPenalty = 1.5f },
        })).Text;

        Assert.NotEqual(plain, penalised);
    }
}

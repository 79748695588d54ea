using SlmCluster.Inference;
using Xunit;
using Xunit.Abstractions;

namespace SlmCluster.UnitTests.Inference;

/// <summary>OpenAI's and llama-server's penalties and logit biases change what the engine generates.</summary>
[Collection(StoriesEngineCollection.Name)]
public sealed class PenaltyAndBiasTests(StoriesEngineFixture fixture, ITestOutputHelper output)
{
    private static GenerationRequest Greedy(int maxTokens, SamplingOptions? sampling = null) => new()
    {
        Prompt = "Once upon a time",
        MaxTokens = maxTokens,
        IgnoreEndOfSequence = true,
        Logprobs = true,
        Sampling = sampling ?? new SamplingOptions(),
    };

    private static int[] Tokens(Generated generated) => [.. generated.Updates.SelectMany(u => u.Logprobs ?? []).Select(t => t.Id)];

    [Fact]
    public async Task A_strong_negative_logit_bias_on_the_greedy_token_changes_the_greedy_answer()
    {
        Generated plain = await fixture.GenerateAsync(Greedy(8));
        int greedyFirst = Tokens(plain)[0];

        Generated biased = await fixture.GenerateAsync(Greedy(8, new SamplingOptions { LogitBias = new Dictionary<int, float> { [greedyFirst] = -100 } }));
        output.WriteLine($"[{plain.Text}] -> [{biased.Text}]");

        Assert.NotEqual(greedyFirst, Tokens(biased)[0]);
        Assert.DoesNotContain(greedyFirst, Tokens(biased));
        Assert.NotEqual(plain.Text, biased.Text);
    }

    [Fact]
    public async Task A_strong_positive_logit_bias_makes_every_greedy_token_that_token()
    {
        Generated plain = await fixture.GenerateAsync(Greedy(4));
        int forced = Tokens(plain)[0] == 100 ? 101 : 100;

        Generated biased = await fixture.GenerateAsync(Greedy(6, new SamplingOptions { LogitBias = new Dictionary<int, float> { [forced] = 100 } }));

        Assert.All(Tokens(biased), t => Assert.Equal(forced, t));
    }

    [Fact]
    public async Task A_frequency_penalty_changes_a_repetitive_greedy_answer()
    {
        Generated plain = await fixture.GenerateAsync(Greedy(96));
        int[] tokens = Tokens(plain);
        // A story repeats its words: the premise of the test.
        Assert.True(tokens.CountBy(t => t).Max(c => c.Value) >= 4, $"expected a repetitive answer: [{plain.Text}]");

        Generated penalised = await fixture.GenerateAsync(Greedy(96, new SamplingOptions { FrequencyPenalty = 1.5f, PenaltyWindow = 96 }));
        output.WriteLine($"[{plain.Text}]\n[{penalised.Text}]");

        Assert.NotEqual(plain.Text, penalised.Text);
        Assert.True(Tokens(penalised).Distinct().Count() > tokens.Distinct().Count(), "the penalty should spread the answer over more tokens");
    }

    [Fact]
    public async Task A_presence_penalty_changes_a_repetitive_greedy_answer()
    {
        Generated plain = await fixture.GenerateAsync(Greedy(48));
        Generated penalised = await fixture.GenerateAsync(Greedy(48, new SamplingOptions { PresencePenalty = 2f, PenaltyWindow = 48 }));

        Assert.NotEqual(plain.Text, penalised.Text);
    }

    [Theory]
    [InlineData(-1, "logit_bias names token -1")]
    [InlineData(1_000_000, "logit_bias names token 1000000")]
    public async Task A_logit_bias_for_a_token_outside_the_vocabulary_is_refused_before_llama_cpp_sees_it(int token, string expected)
    {
        var request = Greedy(4, new SamplingOptions { LogitBias = new Dictionary<int, float> { [token] = 5 } });

        var e = await Assert.ThrowsAsync<InferenceException>(() => fixture.GenerateAsync(request));

        Assert.Equal(InferenceErrorKind.InvalidArgument, e.Kind);
        Assert.Contains(expected, e.Message);
    }
}

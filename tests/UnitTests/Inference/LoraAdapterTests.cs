using SlmCluster.Inference;
using SlmCluster.Testing;
using Xunit;

namespace SlmCluster.UnitTests.Inference;

[Collection(LoraEngineCollection.Name)]
public sealed class LoraAdapterTests(LoraEngineFixture fixture)
{
    private static readonly string[] Prompts = ["Once upon a time", "The little dog", "Tom and Sue went", "One day, a bird"];

    private static GenerationRequest Greedy(string prompt, string? adapter = null, float scale = 1f, int maxTokens = 32, int topLogprobs = 0) => new()
    {
        Prompt = prompt,
        MaxTokens = maxTokens,
        IgnoreEndOfSequence = true,
        TopLogprobs = topLogprobs,
        Adapters = adapter is null ? [] : [new AdapterChoice(adapter, scale)],
    };

    private static IReadOnlyList<GeneratedToken> Logprobs(Generated generated) =>
        generated.Updates.SelectMany(u => u.Logprobs ?? []).ToArray();

    [Fact]
    public async Task An_adapter_whose_B_matrices_are_zero_gives_exactly_the_base_models_logprobs()
    {
        await using LlamaEngine engine = fixture.StartEngine(slots: 1);

        Generated plain = await Generated.CollectAsync(engine, Greedy(Prompts[0], topLogprobs: GenerationRequest.MaxTopLogprobs));
        Generated zero = await Generated.CollectAsync(engine, Greedy(Prompts[0], LoraEngineFixture.ZeroB, topLogprobs: GenerationRequest.MaxTopLogprobs));

        Assert.Equal(plain.Text, zero.Text);
        IReadOnlyList<GeneratedToken> expected = Logprobs(plain);
        IReadOnlyList<GeneratedToken> actual = Logprobs(zero);
        Assert.Equal(32, expected.Count);
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Logprob, actual[i].Logprob);
            Assert.Equal(expected[i].TopAlternatives.Select(a => (a.Id, a.Logprob)), actual[i].TopAlternatives.Select(a => (a.Id, a.Logprob)));
        }
        Assert.Contains(engine.Adapters, a => a.Name == LoraEngineFixture.ZeroB && a.Rank == 8);
    }

    [Fact]
    public async Task A_non_zero_adapter_changes_the_logprobs_and_scale_zero_is_the_base()
    {
        await using LlamaEngine engine = fixture.StartEngine(slots: 1);

        Generated plain = await Generated.CollectAsync(engine, Greedy(Prompts[1], maxTokens: 4, topLogprobs: 5));
        Generated adapted = await Generated.CollectAsync(engine, Greedy(Prompts[1], LoraEngineFixture.First, maxTokens: 4, topLogprobs: 5));
        Generated scaledOff = await Generated.CollectAsync(engine, Greedy(Prompts[1], LoraEngineFixture.First, scale: 0f, maxTokens: 4, topLogprobs: 5));

        Assert.NotEqual(Logprobs(plain)[0].TopAlternatives.Select(a => a.Logprob), Logprobs(adapted)[0].TopAlternatives.Select(a => a.Logprob));
        Assert.Equal(Logprobs(plain)[0].TopAlternatives.Select(a => a.Logprob), Logprobs(scaledOff)[0].TopAlternatives.Select(a => a.Logprob));
    }

    [Fact]
    public async Task Eight_concurrent_requests_mixing_the_base_and_two_adapters_each_give_their_own_answer_alone()
    {
        string?[] choices = [null, LoraEngineFixture.First, LoraEngineFixture.Second];
        GenerationRequest[] requests = Enumerable.Range(0, 8)
            .Select(i => Greedy(Prompts[i % 2], choices[i % 3], maxTokens: 40))
            .ToArray();

        var alone = new List<Generated>();
        await using (LlamaEngine single = fixture.StartEngine(slots: 1))
        {
            foreach (GenerationRequest request in requests)
            {
                alone.Add(await Generated.CollectAsync(single, request));
            }
        }
        // Same prompt, three answers: the base and each adapter differ.
        Assert.Equal(3, new[] { alone[0].Text, alone[4].Text, alone[2].Text }.Distinct().Count());
        Assert.Equal(alone[0].Text, alone[6].Text);

        await using LlamaEngine engine = fixture.StartEngine(slots: 8);
        // Twice: the second round runs over the prefixes the first left in the KV cache under other adapter sets.
        for (int round = 0; round < 2; round++)
        {
            long switchesBefore = engine.AdapterSwitches;
            Generated[] batched = await Task.WhenAll(requests.Select(r => Task.Run(() => Generated.CollectAsync(engine, r))));
            for (int i = 0; i < requests.Length; i++)
            {
                Assert.True(alone[i].Text == batched[i].Text,
                    $"round {round}, request {i} ({choices[i % 3] ?? "base"}): batched [{batched[i].Text}] differs from alone [{alone[i].Text}]");
            }
            // Three sets take turns of 16 decodes over about 40 each: a handful of set changes, not one per token.
            long switches = engine.AdapterSwitches - switchesBefore;
            Assert.InRange(switches, 1, 3 * (40 / 16 + 2));
        }
    }

    [Fact]
    public async Task A_prefix_cached_under_one_adapter_is_not_reused_under_another_or_the_base()
    {
        await using LlamaEngine engine = fixture.StartEngine(slots: 1);
        string prompt = "Once upon a time, there was a little girl named Lily. She";

        await Generated.CollectAsync(engine, Greedy(prompt, LoraEngineFixture.First, maxTokens: 4));
        Generated underBase = await Generated.CollectAsync(engine, Greedy(prompt, maxTokens: 4));
        Generated underSecond = await Generated.CollectAsync(engine, Greedy(prompt, LoraEngineFixture.Second, maxTokens: 4));
        Generated againSecond = await Generated.CollectAsync(engine, Greedy(prompt, LoraEngineFixture.Second, maxTokens: 4));

        Assert.Equal(0, underBase.Final.ReusedPromptTokens);
        Assert.Equal(0, underSecond.Final.ReusedPromptTokens);
        Assert.True(againSecond.Final.ReusedPromptTokens > 0, "the same adapter's own prefix was not reused");
        Assert.Equal(underSecond.Text, againSecond.Text);
    }

    [Fact]
    public async Task Adapter_files_that_do_not_fit_the_base_are_refused_with_a_reason_and_the_base_keeps_serving()
    {
        string truncated = Path.Combine(fixture.Folder, "truncated.gguf");
        byte[] good = await File.ReadAllBytesAsync(fixture.Adapters[0].Path);
        await File.WriteAllBytesAsync(truncated, good.AsSpan(0, good.Length / 2).ToArray());
        string garbage = Path.Combine(fixture.Folder, "garbage.gguf");
        await File.WriteAllBytesAsync(garbage, Enumerable.Range(0, 4096).Select(i => (byte)(i * 7)).ToArray());
        AdapterFile[] adapters =
        [
            fixture.Adapters[0],
            new("model-file", TestModels.Stories260K),
            fixture.Write("wrong-arch", new LoraAdapterSpec { Architecture = "gpt2" }),
            fixture.Write("other-model", new LoraAdapterSpec(), TestModels.Find("tinystories-656k-q8_0.gguf")),
            fixture.Write("not-lora-type", new LoraAdapterSpec { GeneralType = "model" }),
            new("truncated", truncated),
            new("garbage", garbage),
            new("missing", Path.Combine(fixture.Folder, "no-such-file.gguf")),
        ];

        await using LlamaEngine engine = fixture.StartEngine(slots: 2, adapters);

        Assert.Equal([LoraEngineFixture.First], engine.Adapters.Select(a => a.Name));
        Dictionary<string, string> reasons = engine.AdapterFailures.ToDictionary(f => f.Name, f => f.Reason);
        Assert.Equal(adapters.Length - 1, reasons.Count);
        Assert.Contains("is not an adapter", reasons["model-file"]);
        Assert.Contains("a model file", reasons["model-file"]);
        Assert.Contains("architecture 'gpt2'", reasons["wrong-arch"]);
        Assert.Contains("does not fit the base model", reasons["other-model"]);
        Assert.Contains("general.type is 'model'", reasons["not-lora-type"]);
        Assert.Contains("truncated or corrupt", reasons["truncated"]);
        Assert.Contains("not a GGUF file", reasons["garbage"]);
        Assert.Contains("not found", reasons["missing"]);

        Generated base1 = await Generated.CollectAsync(engine, Greedy(Prompts[0], maxTokens: 8));
        Generated adapted = await Generated.CollectAsync(engine, Greedy(Prompts[0], LoraEngineFixture.First, maxTokens: 8));
        Assert.Equal(8, base1.Final.CompletionTokens);
        Assert.NotEqual(base1.Text, adapted.Text);

        var unknown = await Assert.ThrowsAsync<InferenceException>(() => Generated.CollectAsync(engine, Greedy(Prompts[0], "wrong-arch")));
        Assert.Equal(InferenceErrorKind.InvalidArgument, unknown.Kind);
        Assert.Contains("no adapter 'wrong-arch'", unknown.Message);
        var tooStrong = await Assert.ThrowsAsync<InferenceException>(() => Generated.CollectAsync(engine, Greedy(Prompts[0], LoraEngineFixture.First, scale: 100f)));
        Assert.Contains("scale", tooStrong.Message);
    }
}

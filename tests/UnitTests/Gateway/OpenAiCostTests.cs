using System.Text;
using SlmCluster.Gateway.Api.OpenAi;
using SlmCluster.Protocol.V1;

namespace SlmCluster.UnitTests.Gateway;

/// <summary><c>slm_cost</c>: the self-hosted and reference costs an OpenAI response carries beside OpenAI's fields.</summary>
public sealed class OpenAiCostTests
{
    private static readonly OpenAiUsage Usage = new() { PromptTokens = 3, CompletionTokens = 2, TotalTokens = 5 };

    [Fact]
    public void The_saving_is_the_reference_cost_minus_the_self_hosted_cost()
    {
        var cost = OpenAiCost.From(new Served { CostUsd = 0.00025, ReferenceApiCostUsd = 0.01 }, "gpt-5.4")!;

        Assert.Equal(0.00975, cost.SavedUsd, precision: 12);
        Assert.Equal("gpt-5.4", cost.ReferenceApi);
    }

    [Fact]
    public void A_whole_completion_carries_slm_cost_after_usage()
    {
        var cost = OpenAiCost.From(new Served { CostUsd = 0.5, ReferenceApiCostUsd = 2, CacheHit = false }, "gpt-5.4");

        var json = Encoding.UTF8.GetString(new TextCompletionFormatter("cmpl-1", 1, "m").Complete(" there", "stop", Usage, cost));

        Assert.EndsWith(""","usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5},"slm_cost":{"cost_usd":0.5,"reference_api":"gpt-5.4","reference_api_cost_usd":2,"saved_usd":1.5,"cache_hit":false}}""", json);
    }

    [Fact]
    public void A_streamed_chat_carries_slm_cost_in_its_finish_chunk()
    {
        var cost = OpenAiCost.From(new Served { CacheHit = true, ReferenceApiCostUsd = 0.25 }, "claude-haiku-4.5");

        var json = Encoding.UTF8.GetString(new ChatCompletionFormatter("chatcmpl-1", 1, "m").Finish("stop", cost));

        Assert.Contains(""","slm_cost":{"cost_usd":0,"reference_api":"claude-haiku-4.5","reference_api_cost_usd":0.25,"saved_usd":0.25,"cache_hit":true}""", json);
    }
}

using System.ClientModel;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Models;
using SlmCluster.IntegrationTests.Infrastructure;

namespace SlmCluster.IntegrationTests;

/// <summary>The official OpenAI .NET library, pointed at the gateway's <c>/v1</c>, works as it does against OpenAI.</summary>
[Collection(ClusterCollection.Name)]
public sealed class OpenAiClientInteropTests(ClusterFixture cluster)
{
    private OpenAIClientOptions Options => new() { Endpoint = new Uri(cluster.Gateway.HttpAddress, "v1/"), NetworkTimeout = TimeSpan.FromSeconds(60) };

    private ChatClient Chat => new(ClusterFixture.ModelId, new ApiKeyCredential("not-checked"), Options);

    [Fact]
    public async Task The_official_client_gets_a_chat_completion_with_usage()
    {
        ChatCompletion completion = await Chat.CompleteChatAsync(
            [new UserChatMessage("Once upon a time")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 8 });

        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.False(string.IsNullOrWhiteSpace(completion.Content.Single().Text));
        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(8, completion.Usage.OutputTokenCount);
        Assert.True(completion.Usage.InputTokenCount > 0);
        Assert.StartsWith(ClusterFixture.ModelId, completion.Model, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_official_client_streams_a_chat_completion_that_adds_up_to_the_whole_answer()
    {
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 12 };
        ChatCompletion whole = await Chat.CompleteChatAsync([new UserChatMessage("Once upon a time")], options);

        var text = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;
        var pieces = 0;
        await foreach (var update in Chat.CompleteChatStreamingAsync([new UserChatMessage("Once upon a time")], options))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
                pieces++;
            }

            finish ??= update.FinishReason;
        }

        Assert.True(pieces > 1, "the answer came in one piece");
        Assert.Equal(whole.Content.Single().Text, text.ToString());
        Assert.Equal(ChatFinishReason.Length, finish);
    }

    [Fact]
    public async Task The_official_client_lists_the_served_model()
    {
        var models = new OpenAIModelClient(new ApiKeyCredential("not-checked"), Options);
        OpenAIModelCollection list = await models.GetModelsAsync();
        Assert.Contains(list, m => m.Id == ClusterFixture.ModelId);
    }

    [Fact]
    public async Task An_unknown_model_is_a_404_the_official_client_reports()
    {
        var unknown = new ChatClient("no-such-model", new ApiKeyCredential("not-checked"), Options);
        var e = await Assert.ThrowsAsync<ClientResultException>(() =>
            unknown.CompleteChatAsync([new UserChatMessage("Once upon a time")], new ChatCompletionOptions { MaxOutputTokenCount = 2 }));
        Assert.Equal(404, e.Status);
        Assert.Contains(ClusterFixture.ModelId, e.Message);
    }

    [Fact]
    public async Task The_official_client_reads_token_logprobs_whole_and_streamed()
    {
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 10, IncludeLogProbabilities = true, TopLogProbabilityCount = 3 };

        ChatCompletion whole = await Chat.CompleteChatAsync([new UserChatMessage("Once upon a time")], options);
        var streamed = new List<ChatTokenLogProbabilityDetails>();
        await foreach (var update in Chat.CompleteChatStreamingAsync([new UserChatMessage("Once upon a time")], options))
        {
            streamed.AddRange(update.ContentTokenLogProbabilities);
        }

        var tokens = whole.ContentTokenLogProbabilities;
        Assert.Equal(whole.Usage.OutputTokenCount, tokens.Count);
        Assert.Equal(whole.Content.Single().Text, string.Concat(tokens.Select(t => System.Text.Encoding.UTF8.GetString(t.Utf8Bytes?.ToArray() ?? []))));
        Assert.All(tokens, t =>
        {
            Assert.True(t.LogProbability <= 0, $"logprob {t.LogProbability} of '{t.Token}'");
            Assert.Equal(3, t.TopLogProbabilities.Count);
            Assert.Equal(t.Token, t.TopLogProbabilities[0].Token);
        });
        Assert.Equal(tokens.Select(t => t.Token), streamed.Select(t => t.Token));
    }
}

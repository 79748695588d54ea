using SlmCluster.Contracts;
using SlmCluster.GrainTests.Infrastructure;

namespace SlmCluster.GrainTests;

/// <summary>
/// <c>CountPromptTokens</c>: how long a prompt is for a worker's model, without generating, and exactly as long as a
/// generation of the same call finds it (cascade routes skip a tier by it).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PromptTokenCountTests(ClusterFixture fixture)
{
    private static async Task<int> GeneratedPromptTokensAsync(IModelWorkerGrain grain, GenerationCall call)
    {
        GenerationSummary? summary = null;
        await foreach (var piece in grain.Generate(call with { MaxTokens = 1 }))
        {
            summary = piece.Summary ?? summary;
        }

        return summary!.PromptTokens;
    }

    [Fact]
    public async Task A_raw_prompt_and_a_chat_count_as_many_tokens_as_their_generation_reports()
    {
        var cluster = await fixture.SharedClusterAsync();
        var worker = cluster.Workers[0];
        var grain = WorkerCluster.GrainsOn(cluster.Workers[1].Handle).GetGrain<IModelWorkerGrain>(worker.Key);
        var raw = new GenerationCall { Model = TestModels.Stories260KId, Prompt = "Once upon a time there was a little girl named Lily." };
        var chat = new GenerationCall
        {
            Model = TestModels.Stories260KId,
            Messages = [new ChatTurnMessage("system", "Tell a story."), new ChatTurnMessage("user", "Once upon a time")],
        };

        var rawCount = await grain.CountPromptTokens(raw);
        var chatCount = await grain.CountPromptTokens(chat);

        Assert.Equal(await GeneratedPromptTokensAsync(grain, raw), rawCount);
        Assert.Equal(await GeneratedPromptTokensAsync(grain, chat), chatCount);
        // The chat template's text counts too.
        Assert.True(chatCount > (await grain.CountPromptTokens(raw with { Prompt = "Once upon a time" })), $"chat {chatCount} tokens");
    }

    [Fact]
    public async Task A_call_for_another_model_is_refused_as_not_found()
    {
        var cluster = await fixture.SharedClusterAsync();
        var worker = cluster.Workers[0];
        var grain = WorkerCluster.GrainsOn(cluster.Workers[1].Handle).GetGrain<IModelWorkerGrain>(worker.Key);

        var error = await Assert.ThrowsAsync<ModelWorkerException>(() => grain.CountPromptTokens(new GenerationCall { Model = "other", Prompt = "Hi" }));

        Assert.Equal(WorkerErrorKind.NotFound, error.Kind);
    }
}

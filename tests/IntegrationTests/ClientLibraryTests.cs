using Grpc.Core;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SlmCluster.Client.DependencyInjection;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;

namespace SlmCluster.IntegrationTests;

/// <summary>
/// What a .NET service gets from <c>SlmCluster.Client</c>: an <see cref="IChatClient"/> registered in two lines that
/// finds the gateway by its service name (as the AppHost hands it over) and talks gRPC to it.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClientLibraryTests(ClusterFixture cluster) : IAsyncLifetime
{
    private ServiceProvider _services = null!;

    public Task InitializeAsync()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                // What the AppHost sets for a project that references the gateway.
                ["services:gateway:grpc:0"] = cluster.Gateway.GrpcAddress.ToString(),
            })
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSlmClusterChatClient("gateway");
        _services = services.BuildServiceProvider();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _services.DisposeAsync();

    private IChatClient Chat => _services.GetRequiredService<IChatClient>();

    private static ChatOptions Greedy(int maxTokens) => new() { Temperature = 0, MaxOutputTokens = maxTokens };

    [Fact]
    public async Task A_chat_answer_has_the_gateways_text_usage_and_finish_reason()
    {
        var messages = new[] { new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, "Once upon a time") };

        var response = await Chat.GetResponseAsync(messages, Greedy(12));

        var direct = await cluster.GatewayClient.GenerateAsync(new GenerateRequest
        {
            Messages = { new Protocol.V1.ChatMessage { Role = "user", Content = "Once upon a time" } },
            MaxTokens = 12,
            Cache = new CachePolicy { Bypass = true },
        }, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)));
        Assert.Equal(direct.Text, response.Text);
        Assert.False(string.IsNullOrWhiteSpace(response.Text));
        Assert.Equal(ChatRole.Assistant, response.Messages.Single().Role);
        Assert.Equal(ClusterFixture.ModelId, response.ModelId);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(12, response.Usage?.OutputTokenCount);
        Assert.Equal(direct.Usage.PromptTokens, response.Usage?.InputTokenCount);
    }

    [Fact]
    public async Task A_streamed_chat_arrives_in_pieces_that_add_up_to_the_answer_and_ends_with_usage()
    {
        var messages = new[] { new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, "Once upon a time") };
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in Chat.GetStreamingResponseAsync(messages, Greedy(16)))
        {
            updates.Add(update);
        }

        var whole = await Chat.GetResponseAsync(messages, Greedy(16));
        Assert.True(updates.Count(u => u.Text.Length > 0) > 1, "the answer came in one piece");
        Assert.Equal(whole.Text, string.Concat(updates.Select(u => u.Text)));
        var usage = updates.SelectMany(u => u.Contents).OfType<UsageContent>().Single();
        Assert.Equal(16, usage.Details.OutputTokenCount);
        Assert.Equal(ChatFinishReason.Length, updates.Last().FinishReason);
    }

    [Fact]
    public async Task Cancelling_a_streamed_chat_ends_it_with_OperationCanceledException()
    {
        var messages = new[] { new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, "Once upon a time") };
        using var cancel = new CancellationTokenSource();
        var received = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in Chat.GetStreamingResponseAsync(messages, Greedy(2000), cancel.Token))
            {
                if (++received == 2)
                {
                    await cancel.CancelAsync();
                }
            }
        });
        Assert.Equal(2, received);
    }

    [Fact]
    public async Task An_unknown_model_is_an_RpcException_naming_the_served_ones()
    {
        var messages = new[] { new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, "Once upon a time") };
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            Chat.GetResponseAsync(messages, new ChatOptions { ModelId = "no-such-model", MaxOutputTokens = 2 }));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.Contains(ClusterFixture.ModelId, e.Status.Detail);
    }
}

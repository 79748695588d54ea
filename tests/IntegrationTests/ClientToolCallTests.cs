using System.Text.Json;
using Microsoft.Extensions.AI;
using SlmCluster.Client.Chat;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Testing;

namespace SlmCluster.IntegrationTests;

/// <summary>
/// <c>SlmCluster.Client</c>'s <see cref="IChatClient"/> with Microsoft.Extensions.AI's structured output and tools: a
/// JSON Schema from a .NET type, and a .NET function that <c>FunctionInvokingChatClient</c> calls for the model.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClientToolCallTests(ClusterFixture cluster)
{
    public enum Mood
    {
        Happy,
        Sad,
    }

    public sealed record Verdict(bool Friendly, Mood Mood);

    private SlmClusterChatClient Client => new(cluster.GatewayClient);

    [Fact]
    public async Task ForJsonSchema_of_a_dotnet_type_gives_an_answer_that_validates_and_deserializes()
    {
        var format = ChatResponseFormat.ForJsonSchema<Verdict>(AIJsonUtilities.DefaultOptions);

        var response = await Client.GetResponseAsync([new ChatMessage(ChatRole.User, "Was the dog friendly?")],
            new ChatOptions { Temperature = 1, Seed = 3, MaxOutputTokens = 200, ResponseFormat = format });

        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Null(SchemaValidator.Problem(((ChatResponseFormatJson)format).Schema!.Value.GetRawText(), response.Text));
        Assert.NotNull(JsonSerializer.Deserialize<Verdict>(response.Text, AIJsonUtilities.DefaultOptions));
    }

    [Fact]
    public async Task Json_format_gives_an_answer_that_opens_as_a_JSON_object()
    {
        var response = await Client.GetResponseAsync([new ChatMessage(ChatRole.User, "Tell me.")],
            new ChatOptions { Temperature = 0, MaxOutputTokens = 8, ResponseFormat = ChatResponseFormat.Json });

        Assert.StartsWith("{", response.Text);
    }

    [Fact]
    public async Task FunctionInvokingChatClient_calls_a_dotnet_function_with_the_arguments_the_model_wrote()
    {
        var cities = new List<string>();
        var weather = AIFunctionFactory.Create((string city) =>
        {
            lock (cities)
            {
                cities.Add(city);
            }

            return "sunny";
        }, "get_weather", "The weather in a city.");
        using var chat = new ChatClientBuilder(Client).UseFunctionInvocation(configure: c => c.MaximumIterationsPerRequest = 2).Build();

        var response = await chat.GetResponseAsync([new ChatMessage(ChatRole.User, "What is the weather in Paris?")],
            new ChatOptions { Temperature = 0, MaxOutputTokens = 400, Tools = [weather], ToolMode = ChatToolMode.RequireAny, AllowMultipleToolCalls = false });

        Assert.NotEmpty(cities);
        var call = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().First();
        var result = response.Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().First();
        Assert.Equal("get_weather", call.Name);
        Assert.StartsWith("call_", call.CallId);
        Assert.Equal(call.CallId, result.CallId);
        Assert.Equal("sunny", result.Result?.ToString());
    }
}

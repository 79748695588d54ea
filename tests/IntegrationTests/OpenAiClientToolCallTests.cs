using System.ClientModel;
using OpenAI;
using OpenAI.Chat;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Testing;

namespace SlmCluster.IntegrationTests;

/// <summary>The official OpenAI .NET client's tools on a model without a tool template (the generic JSON format).</summary>
[Collection(ClusterCollection.Name)]
public sealed class OpenAiClientToolCallTests(ClusterFixture cluster)
{
    private const string Parameters = """
        {"type": "object", "properties": {"city": {"type": "string", "maxLength": 10}, "unit": {"enum": ["c", "f"]}}, "required": ["city", "unit"]}
        """;

    private ChatClient Chat => new(ClusterFixture.ModelId, new ApiKeyCredential("not-checked"),
        new OpenAIClientOptions { Endpoint = new Uri(cluster.Gateway.HttpAddress, "v1/"), NetworkTimeout = TimeSpan.FromSeconds(60) });

    private static ChatCompletionOptions Options() => new()
    {
        Temperature = 1,
        MaxOutputTokenCount = 300,
        AllowParallelToolCalls = false,
        ToolChoice = ChatToolChoice.CreateRequiredChoice(),
        Tools = { ChatTool.CreateFunctionTool("get_weather", "The weather in a city.", BinaryData.FromString(Parameters)) },
    };

    [Fact]
    public async Task The_official_client_gets_tool_calls_whose_arguments_validate()
    {
        ChatCompletion completion = await Chat.CompleteChatAsync([new UserChatMessage("Weather in Paris?")], Options());

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        var call = Assert.Single(completion.ToolCalls);
        Assert.StartsWith("call_", call.Id);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Null(SchemaValidator.Problem(Parameters, call.FunctionArguments.ToString()));
    }

    [Fact]
    public async Task The_official_client_streams_tool_call_updates_that_join_to_a_valid_call_and_sends_the_result_back()
    {
        var arguments = new System.Text.StringBuilder();
        string? id = null, name = null;
        ChatFinishReason? finish = null;
        await foreach (var update in Chat.CompleteChatStreamingAsync([new UserChatMessage("Weather in Rome?")], Options()))
        {
            foreach (var piece in update.ToolCallUpdates)
            {
                id ??= piece.ToolCallId;
                name ??= piece.FunctionName;
                arguments.Append(piece.FunctionArgumentsUpdate?.ToString());
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal("get_weather", name);
        Assert.Null(SchemaValidator.Problem(Parameters, arguments.ToString()));

        var options = Options();
        options.ToolChoice = ChatToolChoice.CreateNoneChoice();
        ChatCompletion next = await Chat.CompleteChatAsync(
            [
                new UserChatMessage("Weather in Rome?"),
                new AssistantChatMessage([ChatToolCall.CreateFunctionToolCall(id!, name!, BinaryData.FromString(arguments.ToString()))]),
                new ToolChatMessage(id!, "{\"temp\": 25}"),
            ], options);
        Assert.Empty(next.ToolCalls);
        Assert.NotEqual(ChatFinishReason.ToolCalls, next.FinishReason);
    }
}

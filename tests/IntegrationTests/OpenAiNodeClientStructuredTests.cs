using System.Diagnostics;
using System.Text.Json;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Testing;

namespace SlmCluster.IntegrationTests;

/// <summary>
/// The official OpenAI Node client (npm <c>openai</c>) against the gateway's chat completions: <c>tools</c> give valid
/// <c>tool_calls</c> and <c>response_format</c> valid JSON, whole and through the client's own stream helper, which
/// joins the deltas as an application would. Validated by JsonSchema.Net, which we did not write.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class OpenAiNodeClientStructuredTests(ClusterFixture cluster)
{
    private const string Weather = """
        {"type": "object", "properties": {"city": {"type": "string", "maxLength": 10}, "unit": {"enum": ["c", "f"]}}, "required": ["city", "unit"]}
        """;

    private const string Person = """
        {"type": "object", "properties": {"name": {"type": "string", "maxLength": 12}, "age": {"type": "integer", "minimum": 0, "maximum": 120}},
         "required": ["name", "age"], "additionalProperties": false}
        """;

    [Theory]
    [InlineData("tools")]
    [InlineData("tools-stream")]
    public async Task The_node_client_gets_a_valid_tool_call_for_a_required_tool(string scenario)
    {
        var result = await RunAsync(scenario);

        Assert.Equal("tool_calls", result.GetProperty("finish").GetString());
        var call = Assert.Single(result.GetProperty("calls").EnumerateArray());
        Assert.StartsWith("call_", call.GetProperty("id").GetString());
        Assert.Equal("function", call.GetProperty("type").GetString());
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        Assert.Null(SchemaValidator.Problem(Weather, call.GetProperty("function").GetProperty("arguments").GetString()!));
        if (scenario == "tools-stream")
        {
            Assert.True(result.GetProperty("deltas").GetInt32() > 1, "the call came in one delta");
        }
    }

    [Theory]
    [InlineData("json-schema")]
    [InlineData("json-schema-stream")]
    public async Task The_node_client_parses_a_json_schema_answer_that_validates(string scenario)
    {
        var result = await RunAsync(scenario);

        Assert.Equal("stop", result.GetProperty("finish").GetString());
        Assert.Null(SchemaValidator.Problem(Person, result.GetProperty("content").GetString()!));
        Assert.Equal(JsonValueKind.Object, result.GetProperty("parsed").ValueKind);
        Assert.Equal(JsonValueKind.Number, result.GetProperty("parsed").GetProperty("age").ValueKind);
    }

    [Fact]
    public async Task The_node_client_gets_a_400_naming_tool_choice_for_a_tool_not_offered()
    {
        var error = await RunAsync("unknown-tool");

        Assert.Equal(400, error.GetProperty("status").GetInt32());
        Assert.Equal("tool_choice", error.GetProperty("param").GetString());
        Assert.Contains("get_time", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Runs a scenario of <c>openai-chat.js</c>; what the client returned, or its error (name, message, status, param).</summary>
    private async Task<JsonElement> RunAsync(string scenario)
    {
        Assert.True(Directory.Exists(Path.Combine(TestPaths.InteropDirectory, "node_modules", "openai")),
            "the OpenAI Node client is not installed: run ./build.sh test (it runs npm ci in tests/IntegrationTests/interop)");
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(TestPaths.InteropDirectory, "openai-chat.js"), new Uri(cluster.Gateway.HttpAddress, "v1").ToString(), ClusterFixture.ModelId, scenario })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"openai-chat {scenario} failed: {await stderr}");
        var result = JsonDocument.Parse(await stdout).RootElement.Clone();
        return result.TryGetProperty("response", out var response) ? response : result.GetProperty("error");
    }
}

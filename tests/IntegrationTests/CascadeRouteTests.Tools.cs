using System.Net;
using System.Text.Json;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Testing;

namespace SlmCluster.IntegrationTests;

/// <summary>
/// A cascade route with tools: a judged tier's answer is accepted only when it is whole calls of the tools offered
/// whose arguments validate against their parameters; else the route escalates and <c>slm_cascade</c> says why.
/// </summary>
public sealed partial class CascadeRouteTests
{
    private const string ToolParameters = """
        {"type": "object", "properties": {"city": {"type": "string", "maxLength": 10}, "unit": {"enum": ["c", "f"]}}, "required": ["city", "unit"]}
        """;

    private static string ToolBody(string route, int maxTokens) => $$$"""
        {"model": "{{{route}}}", "messages": [{"role": "user", "content": "Weather in Paris?"}], "max_tokens": {{{maxTokens}}}, "temperature": 0,
         "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {{{ToolParameters}}}}}], "tool_choice": "required", "parallel_tool_calls": false}
        """;

    [Fact]
    public async Task A_tier_whose_answer_is_a_valid_tool_call_is_accepted_and_one_cut_inside_its_call_escalates()
    {
        var accepted = await _http.PostAsync("/v1/chat/completions", ToolBody("tools", 300));
        var cut = await _http.PostAsync("/v1/chat/completions", ToolBody("tools", 6));

        Assert.Equal(HttpStatusCode.OK, accepted.Status);
        var choice = accepted.Json.GetProperty("choices")[0];
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        var call = Assert.Single(choice.GetProperty("message").GetProperty("tool_calls").EnumerateArray());
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        Assert.Null(SchemaValidator.Problem(ToolParameters, call.GetProperty("function").GetProperty("arguments").GetString()!));
        var first = accepted.Json.GetProperty("slm_cascade");
        Assert.Equal((1, false), (first.GetProperty("tier").GetInt32(), first.GetProperty("escalated").GetBoolean()));
        Assert.StartsWith("accepted: ", first.GetProperty("reason").GetString());

        Assert.Equal(HttpStatusCode.OK, cut.Status);
        var second = cut.Json.GetProperty("slm_cascade");
        Assert.Equal((2, "small-again"), (second.GetProperty("tier").GetInt32(), second.GetProperty("tier_name").GetString()));
        Assert.Contains("cut at max_tokens before its tool calls were complete", second.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(["escalated", "accepted"], second.GetProperty("attempts").EnumerateArray().Select(a => a.GetProperty("outcome").GetString()));
    }

    [Fact]
    public async Task Tools_on_a_route_with_an_external_tier_are_refused_naming_the_tier()
    {
        var refused = await _http.PostAsync("/v1/chat/completions", ToolBody("anyok", 32));

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        var error = refused.Json.GetProperty("error");
        Assert.Equal("tools", error.GetProperty("param").GetString());
        Assert.Contains("external API", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}

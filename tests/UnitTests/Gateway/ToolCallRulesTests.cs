using SlmCluster.Contracts;
using SlmCluster.Gateway.Serving;
using SlmCluster.Gateway.Serving.Tools;

namespace SlmCluster.UnitTests.Gateway;

/// <summary>How a request's tools and its earlier calls and results reach the model, and which requests are refused.</summary>
public sealed class ToolCallRulesTests
{
    internal const string WeatherParameters = """
        {"type": "object", "properties": {"city": {"type": "string", "maxLength": 10}, "unit": {"enum": ["c", "f"]}}, "required": ["city", "unit"]}
        """;

    private readonly ToolCallRules _rules = new();

    internal static ToolRequest Weather(ToolChoiceKind mode = ToolChoiceKind.Auto, string? named = null, bool parallel = true) =>
        new([new ToolDefinition("get_weather", "The weather in a city.", WeatherParameters, "tools[0].function.parameters")], mode, named, parallel, "tools", "tool_choice");

    internal static ServingRequest Chat(ToolRequest? tools, params ChatTurnMessage[] messages) => new()
    {
        Call = new GenerationCall { Messages = messages, MaxTokens = 64 },
        Tools = tools,
    };

    [Fact]
    public void A_hermes_model_sees_the_tools_in_its_system_prompt_and_earlier_calls_and_results_in_its_own_tags()
    {
        var request = Chat(Weather(),
            new ChatTurnMessage("system", "Be brief."),
            new ChatTurnMessage("user", "Weather in Paris and Rome?"),
            new ChatTurnMessage("assistant", ""),
            new ChatTurnMessage("tool", "{\"temp\": 21}"),
            new ChatTurnMessage("tool", "{\"temp\": 25}"),
            new ChatTurnMessage("user", "Thanks!")) with
        {
            ToolTurns = [null, null, ToolTurn.Of([new("call_a", "get_weather", """{"city":"Paris","unit":"c"}"""), new("call_b", "get_weather", """{"city":"Rome","unit":"c"}""")]),
                ToolTurn.ResultOf("call_a"), ToolTurn.ResultOf("call_b"), null],
        };

        var (rendered, reader) = _rules.Apply(request, ToolCallFormats.Hermes);

        var messages = rendered.Call.Messages!;
        Assert.NotNull(reader);
        Assert.Equal(["system", "user", "assistant", "user", "user"], messages.Select(m => m.Role));
        Assert.StartsWith("Be brief.\n\n# Tools", messages[0].Content);
        Assert.Contains("<tools>\n{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"The weather in a city.\",\"parameters\":{", messages[0].Content);
        Assert.Contains("</tools>", messages[0].Content);
        Assert.Equal("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\":\"Paris\",\"unit\":\"c\"}}\n</tool_call>\n"
            + "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\":\"Rome\",\"unit\":\"c\"}}\n</tool_call>", messages[2].Content);
        Assert.Equal("<tool_response>\n{\"temp\": 21}\n</tool_response>\n<tool_response>\n{\"temp\": 25}\n</tool_response>", messages[3].Content);
        Assert.Equal("Thanks!", messages[4].Content);
        Assert.StartsWith("root ::= tc-calls | tc-text\n", rendered.Call.Grammar);
    }

    [Fact]
    public void A_model_without_the_hermes_template_gets_the_generic_json_format()
    {
        var request = Chat(Weather(ToolChoiceKind.Required), new ChatTurnMessage("user", "Weather?"));

        var (rendered, _) = _rules.Apply(request, ToolCallFormats.Json);

        Assert.Equal(["system", "user"], rendered.Call.Messages!.Select(m => m.Role));
        Assert.Contains("{\"tool_calls\": [{\"name\": <function-name>, \"arguments\": <arguments-object>}]}", rendered.Call.Messages![0].Content);
        Assert.StartsWith("root ::= tc-calls\n", rendered.Call.Grammar);
        Assert.Contains("\"{\\\"tool_calls\\\": \\[{\\\"name\\\": \\\"\"", rendered.Call.Grammar);
    }

    [Fact]
    public void Tool_choice_none_offers_no_tools_and_constrains_nothing()
    {
        var (rendered, reader) = _rules.Apply(Chat(Weather(ToolChoiceKind.None), new ChatTurnMessage("user", "Hi")), ToolCallFormats.Hermes);

        Assert.Null(reader);
        Assert.Null(rendered.Call.Grammar);
        Assert.Equal([new ChatTurnMessage("user", "Hi")], rendered.Call.Messages!);
    }

    [Fact]
    public void A_named_tool_that_is_not_offered_is_refused_naming_tool_choice()
    {
        var e = Assert.Throws<InvalidRequestException>(() => _rules.Apply(Chat(Weather(ToolChoiceKind.Named, "get_time"), new ChatTurnMessage("user", "Hi")), ToolCallFormats.Json));

        Assert.Equal("tool_choice", e.Param);
        Assert.Contains("'get_time', which is not one of the tools offered (get_weather)", e.Status.Detail);
    }

    [Fact]
    public void Tools_with_a_response_format_are_refused_naming_the_conflict()
    {
        var request = Chat(Weather(), new ChatTurnMessage("user", "Hi")) with { ResponseFormat = ResponseFormat.Grammar("root ::= \"x\"", "grammar") };

        var e = Assert.Throws<InvalidRequestException>(() => _rules.Apply(request, ToolCallFormats.Json));

        Assert.Equal("grammar", e.Param);
        Assert.Contains("'tools' is sent together with 'grammar'", e.Status.Detail);
    }

    [Fact]
    public void A_tool_schema_the_converter_cannot_enforce_is_refused_naming_keyword_and_path()
    {
        var tools = new ToolRequest([new ToolDefinition("f", "", """{"type": "object", "properties": {"a": {"not": {"type": "string"}}}}""", "tools[0].function.parameters")],
            ToolChoiceKind.Required, null, true, "tools", "tool_choice");

        var e = Assert.Throws<InvalidRequestException>(() => _rules.Apply(Chat(tools, new ChatTurnMessage("user", "Hi")), ToolCallFormats.Json));

        Assert.Equal("tools[0].function.parameters", e.Param);
        Assert.Contains("not", e.Status.Detail);
        Assert.Contains("#/properties/a", e.Status.Detail);
    }

    [Theory]
    [InlineData("get weather")]
    [InlineData("")]
    public void A_tool_name_outside_letters_digits_underscores_and_dashes_is_refused(string name)
    {
        var tools = new ToolRequest([new ToolDefinition(name, "", ToolCallRules.NoParameters, "tools[0].function.parameters")], ToolChoiceKind.Auto, null, true, "tools", "tool_choice");

        var e = Assert.Throws<InvalidRequestException>(() => _rules.Apply(Chat(tools, new ChatTurnMessage("user", "Hi")), ToolCallFormats.Json));

        Assert.Equal("tools", e.Param);
    }
}

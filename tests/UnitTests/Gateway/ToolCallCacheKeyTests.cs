using SlmCluster.Contracts;
using SlmCluster.Gateway.Caching;
using SlmCluster.Gateway.Serving.Tools;

namespace SlmCluster.UnitTests.Gateway;

/// <summary>The response cache tells requests with different tools or tool choices apart, the same tools the same key (requests without tools keep their pinned keys: LogprobsMappingTests).</summary>
public sealed class ToolCallCacheKeyTests
{
    private static string Key(ToolRequest? tools) =>
        ResponseCacheKey.For(ToolCallRulesTests.Chat(tools, new ChatTurnMessage("user", "x")), "sha", "p:");

    [Fact]
    public void Tools_and_the_tool_choice_are_part_of_the_key()
    {
        string[] keys =
        [
            Key(null),
            Key(ToolCallRulesTests.Weather()),
            Key(ToolCallRulesTests.Weather(ToolChoiceKind.Required)),
            Key(ToolCallRulesTests.Weather(ToolChoiceKind.Named, "get_weather")),
            Key(ToolCallRulesTests.Weather(parallel: false)),
        ];

        Assert.Equal(keys.Length, keys.Distinct().Count());
        Assert.Equal(Key(ToolCallRulesTests.Weather()), keys[1]);
    }
}

using System.Text;
using SlmCluster.Gateway.Api.OpenAi;

namespace SlmCluster.UnitTests.Gateway;

public sealed class OpenAiRequestBodyTests
{
    private static CompletionRequest Parse(byte[] body) => OpenAiRequestBody.Parse(body, OpenAiJsonContext.Api.CompletionRequest);

    private static InvalidOpenAiRequestException Refused(string body) =>
        Assert.Throws<InvalidOpenAiRequestException>(() => Parse(Encoding.UTF8.GetBytes(body)));

    [Fact]
    public void Unknown_fields_are_ignored_as_OpenAI_clients_send_many()
    {
        var request = Parse(Encoding.UTF8.GetBytes("""{"prompt":"x","logit_bias":{"1":2},"echo":false,"new_field":[{"deep":[1]}],"max_tokens":3}"""));

        Assert.Equal(3, request.MaxTokens);
    }

    [Fact]
    public void An_empty_or_null_body_asks_for_a_JSON_object()
    {
        Assert.Contains("empty", Refused("").Message);
        Assert.Contains("null", Refused("null").Message);
    }

    [Fact]
    public void Invalid_UTF8_is_refused_naming_the_byte_and_its_offset()
    {
        byte[] body = [.. "{\"prompt\":\"ab"u8, 0xE2, 0x28, .. "\"}"u8];

        var e = Assert.Throws<InvalidOpenAiRequestException>(() => Parse(body));

        Assert.Equal("The request body is not valid UTF-8: invalid byte 0xE2 at offset 13.", e.Message);
        Assert.Equal("invalid_utf8", e.Code);
    }

    [Fact]
    public void Malformed_JSON_says_so_with_the_readers_position()
    {
        var e = Refused("""{"prompt":"x",}""");

        Assert.StartsWith("The request body is not valid JSON:", e.Message);
        Assert.Contains("LineNumber: 0", e.Message);
    }

    [Theory]
    [InlineData("""{"prompt":"x","max_tokens":"ten"}""", "max_tokens")]
    [InlineData("""{"prompt":"x","temperature":[0]}""", "temperature")]
    [InlineData("""{"prompt":"x","stream":"yes"}""", "stream")]
    [InlineData("""{"prompt":"x","stream_options":{"include_usage":1}}""", "stream_options.include_usage")]
    [InlineData("""{"prompt":"x","max_tokens":99999999999}""", "max_tokens")]
    public void A_field_of_the_wrong_type_is_named(string body, string param)
    {
        var e = Refused(body);

        Assert.Equal(param, e.Param);
        Assert.Contains($"'{param}' has the wrong type", e.Message);
    }

    [Fact]
    public void A_lone_surrogate_in_a_string_field_is_not_valid_text()
    {
        var e = Refused("""{"prompt":"x","model":"m\ud800"}""");

        Assert.Equal("model", e.Param);
        Assert.Contains("'model' is not valid text", e.Message);
    }

    [Fact]
    public void Nesting_deeper_than_the_reader_allows_is_refused_not_overflowed()
    {
        var e = Refused($"{{\"prompt\":{new string('[', 10_000)}{new string(']', 10_000)}}}");

        Assert.Contains("depth", e.Message);
    }
}

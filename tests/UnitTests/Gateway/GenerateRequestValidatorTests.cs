using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Api;
using SlmCluster.Gateway.Hosting;
using SlmCluster.Protocol.V1;

namespace SlmCluster.UnitTests.Gateway;

public sealed class GenerateRequestValidatorTests
{
    private readonly GenerateRequestValidator _validator = new(Options.Create(new GatewayOptions { MaxTokensLimit = 512, MaxPromptCharacters = 100, MaxMessages = 3 }));

    private static GenerateRequest Valid() => new() { Prompt = "Once upon a time", MaxTokens = 16 };

    [Fact]
    public void A_plain_prompt_request_is_valid()
    {
        Assert.Null(_validator.Validate(Valid()));
    }

    [Fact]
    public void A_chat_request_with_known_roles_is_valid()
    {
        var request = new GenerateRequest { MaxTokens = 16 };
        request.Messages.Add(new ChatMessage { Role = "system", Content = "Be brief." });
        request.Messages.Add(new ChatMessage { Role = "user", Content = "Hi" });

        Assert.Null(_validator.Validate(request));
    }

    [Fact]
    public void No_prompt_and_no_messages_says_to_set_one()
    {
        Assert.Contains("neither a prompt nor messages", _validator.Validate(new GenerateRequest { MaxTokens = 4 }));
    }

    [Fact]
    public void Prompt_and_messages_together_are_refused()
    {
        var request = Valid();
        request.Messages.Add(new ChatMessage { Role = "user", Content = "Hi" });

        Assert.Contains("only one", _validator.Validate(request));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(513)]
    public void Max_tokens_out_of_range_names_the_limit(int maxTokens)
    {
        var request = Valid();
        request.MaxTokens = maxTokens;

        var problem = _validator.Validate(request);

        Assert.Contains($"max_tokens is {maxTokens}", problem);
        Assert.Contains("512", problem);
    }

    [Fact]
    public void Zero_max_tokens_means_the_default()
    {
        var request = Valid();
        request.MaxTokens = 0;

        Assert.Null(_validator.Validate(request));
    }

    [Theory]
    [InlineData(-0.1f, 1f, 0, "temperature")]
    [InlineData(float.NaN, 1f, 0, "temperature")]
    [InlineData(0.7f, 1.5f, 0, "top_p")]
    [InlineData(0.7f, 0.9f, -3, "top_k")]
    public void Sampling_out_of_range_names_the_field(float temperature, float topP, int topK, string field)
    {
        var request = Valid();
        request.Sampling = new SamplingParams { Temperature = temperature, TopP = topP, TopK = topK };

        Assert.Contains(field, _validator.Validate(request));
    }

    [Fact]
    public void An_oversize_prompt_gives_its_length_and_the_limit()
    {
        var request = Valid();
        request.Prompt = new string('a', 101);

        Assert.Equal("The prompt is 101 characters; the limit is 100.", _validator.Validate(request));
    }

    [Fact]
    public void An_unknown_role_is_named_with_its_index()
    {
        var request = new GenerateRequest { MaxTokens = 4 };
        request.Messages.Add(new ChatMessage { Role = "user", Content = "Hi" });
        request.Messages.Add(new ChatMessage { Role = "wizard", Content = "Abracadabra" });

        Assert.Contains("messages[1].role is 'wizard'", _validator.Validate(request));
    }

    [Fact]
    public void Too_many_messages_are_refused()
    {
        var request = new GenerateRequest { MaxTokens = 4 };
        for (var i = 0; i < 4; i++)
        {
            request.Messages.Add(new ChatMessage { Role = "user", Content = "Hi" });
        }

        Assert.Contains("4 messages; the limit is 3", _validator.Validate(request));
    }

    [Fact]
    public void Empty_stop_strings_are_refused()
    {
        var request = Valid();
        request.Stop.Add("");

        Assert.Contains("Stop strings", _validator.Validate(request));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(21)]
    public void Top_logprobs_outside_0_to_20_is_refused_with_the_range(int top)
    {
        var request = Valid();
        request.TopLogprobs = top;

        var problem = _validator.Validate(request);

        Assert.Contains($"top_logprobs is {top}", problem);
        Assert.Contains("between 0 and 20", problem);
    }

    [Fact]
    public void Top_logprobs_without_logprobs_is_valid_and_turns_them_on()
    {
        var request = Valid();
        request.TopLogprobs = 20;

        Assert.Null(_validator.Validate(request));
        Assert.True(SlmCluster.Gateway.Api.WorkerCalls.ToCall(request).Logprobs);
        Assert.Equal(20, SlmCluster.Gateway.Api.WorkerCalls.ToCall(request).TopLogprobs);
    }
}

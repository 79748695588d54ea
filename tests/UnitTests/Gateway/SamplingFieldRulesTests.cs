using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Api.Grpc;
using SlmCluster.Gateway.Caching;
using SlmCluster.Gateway.Configuration;
using SlmCluster.Gateway.Serving;
using SlmCluster.Protocol.V1;

namespace SlmCluster.UnitTests.Gateway;

/// <summary>Penalties and logit biases: their ranges, one rule for every front door, and their part in the cache key.</summary>
public sealed class SamplingFieldRulesTests
{
    private readonly ServingRequestRules _rules = new(Options.Create(new GatewayOptions { MaxTokensLimit = 512 }));

    private static GenerateRequest Request(Action<SamplingParams> set)
    {
        var request = new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 8, Sampling = new SamplingParams() };
        set(request.Sampling);
        return request;
    }

    private RequestProblem? Validate(GenerateRequest request) => _rules.Validate(GrpcRequestMapper.ToServingRequest(request));

    public static TheoryData<string, string, string> OutOfRange => new()
    {
        { "presence_penalty", "presence_penalty is 2.5", "between -2 and 2" },
        { "frequency_penalty", "frequency_penalty is -2.01", "between -2 and 2" },
        { "repeat_penalty", "repeat_penalty is -1", "more than 0" },
        { "repeat_penalty", "repeat_penalty is 11", "at most 10" },
        { "repeat_last_n", "repeat_last_n is 513", "between 0 (penalties off) and 512" },
        { "logit_bias", "logit_bias of token 3 is 101", "between -100 and 100" },
        { "logit_bias", "logit_bias names token -1", "0 or more" },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void A_penalty_or_bias_out_of_its_range_is_refused_naming_the_field(string param, string said, string range)
    {
        var request = (param, said) switch
        {
            (_, "presence_penalty is 2.5") => Request(s => s.PresencePenalty = 2.5f),
            (_, "frequency_penalty is -2.01") => Request(s => s.FrequencyPenalty = -2.01f),
            (_, "repeat_penalty is -1") => Request(s => s.RepeatPenalty = -1),
            (_, "repeat_penalty is 11") => Request(s => s.RepeatPenalty = 11),
            (_, "repeat_last_n is 513") => Request(s => { s.RepeatPenalty = 1.1f; s.RepeatLastN = 513; }),
            (_, "logit_bias of token 3 is 101") => Request(s => s.LogitBias.Add(3, 101)),
            _ => Request(s => s.LogitBias.Add(-1, 5)),
        };

        var problem = Validate(request);

        Assert.NotNull(problem);
        Assert.Equal(param, problem.Param);
        Assert.Contains(said, problem.Message);
        Assert.Contains(range, problem.Message);
    }

    [Fact]
    public void Penalties_and_biases_in_range_are_valid_and_reach_the_call()
    {
        var request = Request(s =>
        {
            s.PresencePenalty = -2;
            s.FrequencyPenalty = 2;
            s.RepeatPenalty = 1.2f;
            s.RepeatLastN = -1;
            s.LogitBias.Add(5, -100);
        });

        var call = GrpcRequestMapper.ToServingRequest(request).Call;

        Assert.Null(Validate(request));
        Assert.Equal((-2f, 2f, 1.2f, -1), (call.PresencePenalty, call.FrequencyPenalty, call.RepeatPenalty, call.RepeatLastN));
        Assert.Equal(-100f, call.LogitBias![5]);
    }

    [Fact]
    public void Penalties_and_biases_are_part_of_the_cache_key_and_requests_without_them_keep_theirs()
    {
        string Key(Action<SamplingParams> set) => ResponseCacheKey.For(GrpcRequestMapper.ToServingRequest(Request(set)), "sha", "p:");

        var plain = Key(_ => { });
        string[] keys =
        [
            plain,
            Key(s => s.PresencePenalty = 0.5f),
            Key(s => s.FrequencyPenalty = 0.5f),
            Key(s => s.RepeatPenalty = 1.5f),
            Key(s => { s.RepeatPenalty = 1.5f; s.RepeatLastN = 8; }),
            Key(s => s.LogitBias.Add(1, 5)),
            Key(s => s.LogitBias.Add(1, 6)),
        ];

        Assert.Equal(keys.Length, keys.Distinct().Count());
        // Neutral values are as if not sent; biases key the same whatever order they came in.
        Assert.Equal(plain, Key(s => { s.PresencePenalty = 0; s.FrequencyPenalty = 0; s.RepeatPenalty = 1; }));
        Assert.Equal(Key(s => { s.LogitBias.Add(1, 5); s.LogitBias.Add(9, -5); }), Key(s => { s.LogitBias.Add(9, -5); s.LogitBias.Add(1, 5); }));
    }
}

using System.Text;
using SlmCluster.Client;
using SlmCluster.Contracts;
using SlmCluster.Gateway.Api.Grpc;
using SlmCluster.Gateway.Caching;
using SlmCluster.Gateway.Serving;
using SlmCluster.Inference;
using SlmCluster.Protocol.V1;
using SlmCluster.Worker.Grains;
using WireTokenLogprob = SlmCluster.Protocol.V1.TokenLogprob;

namespace SlmCluster.UnitTests.Gateway;

/// <summary>Token logprobs on their way from the engine through the grain contract to the wire, and into the cache key.</summary>
public sealed class LogprobsMappingTests
{
    private static GenerateRequest Greedy() => new() { Prompt = "Once upon a time", MaxTokens = 8, Sampling = new SamplingParams { Temperature = 0 } };

    [Fact]
    public void The_worker_turns_the_engines_entries_into_the_contracts_alternatives_included()
    {
        GeneratedToken[] engine =
        [
            new(5, " upon", Encoding.UTF8.GetBytes(" upon"), -0.25f, [new TokenAlternative(5, " upon", Encoding.UTF8.GetBytes(" upon"), -0.25f), new TokenAlternative(9, " a", Encoding.UTF8.GetBytes(" a"), -2f)]),
            new(7, "\uFFFD", [0xE2, 0x82], -1.5f, []),
        ];

        var entries = CallMapping.ToLogprobs(engine)!;

        Assert.Equal([" upon", "\uFFFD"], entries.Select(e => e.Token));
        Assert.Equal(new byte[] { 0xE2, 0x82 }, entries[1].Bytes);
        Assert.Equal([-0.25f, -1.5f], entries.Select(e => e.Logprob));
        Assert.Equal([(" upon", -0.25f), (" a", -2f)], entries[0].Top.Select(t => (t.Token, t.Logprob)));
        Assert.Empty(entries[1].Top);
        Assert.Null(CallMapping.ToLogprobs(null));
    }

    [Fact]
    public void The_worker_asks_the_engine_for_logprobs_when_the_call_asks_for_alternatives_only()
    {
        var request = CallMapping.ToGenerationRequest(new GenerationCall { Prompt = "x", TopLogprobs = 3 }, 16);

        Assert.True(request.WantsLogprobs);
        Assert.Equal(3, request.TopLogprobs);
        Assert.False(CallMapping.ToGenerationRequest(new GenerationCall { Prompt = "x" }, 16).WantsLogprobs);
    }

    [Fact]
    public void A_piece_becomes_a_chunk_with_its_entries_in_wire_form()
    {
        var piece = new GenerationPiece
        {
            Text = " upon",
            Logprobs = [new Contracts.TokenLogprob { Token = " upon", Bytes = Encoding.UTF8.GetBytes(" upon"), Logprob = -0.25f, Top = [new Contracts.TopLogprob(" a", [0x20, 0x61], -2f)] }],
        };

        var chunk = WorkerCalls.ToChunk(piece);

        var entry = Assert.Single(chunk.Logprobs);
        Assert.Equal(" upon", entry.Token);
        Assert.Equal(" upon", entry.Bytes.ToStringUtf8());
        Assert.Equal(-0.25f, entry.Logprob);
        Assert.Equal(" a", Assert.Single(entry.TopLogprobs).Token);
        Assert.Empty(WorkerCalls.ToChunk(new GenerationPiece { Text = "x" }).Logprobs);
    }

    [Fact]
    public void The_request_options_reach_the_grain_call_through_the_gRPC_door()
    {
        var request = Greedy();
        request.Logprobs = true;
        request.TopLogprobs = 4;

        var call = GrpcRequestMapper.ToServingRequest(request).Call;

        Assert.True(call.Logprobs);
        Assert.Equal(4, call.TopLogprobs);
        Assert.False(GrpcRequestMapper.ToServingRequest(Greedy()).Call.Logprobs);
    }

    [Fact]
    public async Task Collecting_a_stream_joins_its_chunks_logprobs_in_order()
    {
        static GenerateChunk Chunk(string text, params string[] tokens)
        {
            var chunk = new GenerateChunk { Text = text };
            chunk.Logprobs.Add(tokens.Select(t => new WireTokenLogprob { Token = t, Logprob = -1 }));
            return chunk;
        }

        var closing = Chunk("", "!");
        closing.Usage = new Usage { CompletionTokens = 3 };
        var response = await new[] { Chunk("Once", "Once"), Chunk(" upon", " up", "on"), closing }.ToAsyncEnumerable().CollectAsync();

        Assert.Equal("Once upon", response.Text);
        Assert.Equal(["Once", " up", "on", "!"], response.Logprobs.Select(l => l.Token));
    }

    [Fact]
    public void Logprobs_and_top_logprobs_are_part_of_the_cache_key()
    {
        string Key(bool logprobs, int top)
        {
            var request = Greedy();
            request.Logprobs = logprobs;
            request.TopLogprobs = top;
            return ResponseCacheKey.For(GrpcRequestMapper.ToServingRequest(request), "sha", "p:");
        }

        string[] keys = [Key(false, 0), Key(true, 0), Key(true, 2), Key(true, 3)];

        Assert.Equal(keys.Length, keys.Distinct().Count());
        // top_logprobs alone means logprobs: the same answer, the same key.
        Assert.Equal(Key(true, 3), Key(false, 3));
    }

    [Fact]
    public void A_request_without_logprobs_keeps_the_key_earlier_versions_wrote()
    {
        // Cached answers stay valid across the upgrade that added logprobs: the encoding only grows when they are asked
        // for. The value is SHA-256 over the documented encoding, computed outside .NET: "" (model), "sha", the prompt,
        // 0 messages, temperature/top_p/top_k 0, no seed (-1), max_tokens 8, 0 stops, ignore_eos 0.
        Assert.Equal("p:cbb08a95b4bbc599b747b685aa6fa48723aad87c5c2d4343f3bd87310c0ab1fb", ResponseCacheKey.For(GrpcRequestMapper.ToServingRequest(Greedy()), "sha", "p:"));
    }

    [Fact]
    public void A_grammar_is_part_of_the_key_and_requests_without_one_keep_theirs()
    {
        var plain = GrpcRequestMapper.ToServingRequest(Greedy());
        string Key(string? grammar) => ResponseCacheKey.For(plain with { Call = plain.Call with { Grammar = grammar } }, "sha", "p:");

        Assert.Equal("p:cbb08a95b4bbc599b747b685aa6fa48723aad87c5c2d4343f3bd87310c0ab1fb", Key(null));
        Assert.NotEqual(Key(null), Key("root ::= \"a\""));
        Assert.NotEqual(Key("root ::= \"a\""), Key("root ::= \"b\""));
        Assert.Equal(Key("root ::= \"a\""), Key("root ::= \"a\""));
    }
}

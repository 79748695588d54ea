using SlmCluster.Inference;

namespace SlmCluster.StructuredOutputTests;

/// <summary>The native grammar sampler wrapper: a grammar llama.cpp refuses is a null with a reason, never a NULL handle in use, and a token the grammar rejects is an exception, never a dead process.</summary>
public sealed class GrammarSamplerTests
{
    [Theory]
    [InlineData("root ::= \"a\" undefined-rule")]
    [InlineData("root ::= (\"a\"")]
    [InlineData("root ::= root \"a\" | \"b\"")]
    [InlineData("not a grammar")]
    public void A_grammar_llama_cpp_refuses_gives_no_sampler_and_a_reason(string grammar)
    {
        using GrammarSampler? sampler = GrammarSampler.TryCreate(TestModel.Model, grammar, "root", out string? error);
        Assert.Null(sampler);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void A_token_the_grammar_rejects_is_refused_with_an_exception_and_the_sampler_stays_usable()
    {
        LlamaModel model = TestModel.Model;
        using GrammarSampler sampler = GrammarSampler.TryCreate(model, "root ::= \"{}\"", "root", out _)!;
        int open = Token(model, '{');
        int close = Token(model, '}');
        Assert.False(sampler.IsAllowed(close));
        Assert.False(sampler.IsAllowed(model.EndOfSequenceToken));
        Assert.Throws<InvalidOperationException>(() => sampler.Accept(close));
        Assert.Throws<InvalidOperationException>(() => sampler.Accept(model.EndOfSequenceToken));
        sampler.Accept(open);
        sampler.Accept(close);
        Assert.True(sampler.IsAllowed(model.EndOfSequenceToken));
    }

    private static int Token(LlamaModel model, char c)
    {
        for (int token = 0; token < model.Metadata.VocabSize; token++)
        {
            if (model.TokenBytes(token) is [byte b] && b == c)
            {
                return token;
            }
        }
        throw new InvalidOperationException($"No token for '{c}'.");
    }
}

using System.Text;
using SlmCluster.Inference;
using SlmCluster.Inference.Native;

namespace SlmCluster.StructuredOutputTests;

/// <summary>
/// Drives llama.cpp's grammar sampler over the test model's vocabulary without decoding: at each step every token
/// gets a seeded random logit, the grammar masks the ones it rejects, and the best one left is taken, as a model's
/// greedy step under the grammar would. Tokens that close something (a quote, a bracket, a brace) and the
/// end-of-generation token get a bonus, so a walk ends in a few dozen tokens instead of filling every string to its cap.
/// </summary>
internal sealed class GrammarWalker
{
    private readonly LlamaModel _model;
    private readonly int _vocabSize;
    private readonly float[] _bonus;
    private readonly Dictionary<char, int> _singleCharTokens = [];

    public GrammarWalker(LlamaModel model)
    {
        _model = model;
        _vocabSize = model.Metadata.VocabSize;
        _bonus = new float[_vocabSize];
        for (int token = 0; token < _vocabSize; token++)
        {
            byte[] piece = model.TokenBytes(token);
            if (model.IsEndOfGeneration(token))
            {
                _bonus[token] = 2f;
            }
            else if (piece.Any(b => b is (byte)'"' or (byte)'}' or (byte)']'))
            {
                _bonus[token] = 0.6f;
            }
            if (piece.Length == 1 && piece[0] < 0x80)
            {
                _singleCharTokens.TryAdd((char)piece[0], token);
            }
        }
    }

    /// <summary>
    /// The text a walk of at most <paramref name="maxTokens"/> tokens writes; <c>Ended</c> when the grammar let it stop.
    /// Without <paramref name="favourClosers"/> only the end token keeps its bonus (plain random logits otherwise).
    /// </summary>
    public (string Text, bool Ended, int Tokens) Walk(string grammar, int seed, int maxTokens, bool favourClosers = true)
    {
        using GrammarSampler sampler = GrammarSampler.TryCreate(_model, grammar, "root", out string? error)
            ?? throw new InvalidOperationException($"llama.cpp refused the grammar: {error}\n{grammar}");
        var random = new Random(seed);
        var candidates = new LlamaTokenData[_vocabSize];
        var bytes = new List<byte>();
        for (int step = 0; step < maxTokens; step++)
        {
            for (int token = 0; token < _vocabSize; token++)
            {
                candidates[token] = new LlamaTokenData { Id = token, Logit = random.NextSingle() + (favourClosers || _bonus[token] > 1 ? _bonus[token] : 0) };
            }
            sampler.Apply(candidates);
            int best = -1;
            float bestLogit = float.NegativeInfinity;
            foreach (LlamaTokenData candidate in candidates)
            {
                if (candidate.Logit > bestLogit)
                {
                    bestLogit = candidate.Logit;
                    best = candidate.Id;
                }
            }
            if (best < 0)
            {
                throw new InvalidOperationException($"The grammar allows no token after {Encoding.UTF8.GetString([.. bytes])}");
            }
            if (_model.IsEndOfGeneration(best))
            {
                return (Encoding.UTF8.GetString([.. bytes]), true, step);
            }
            sampler.Accept(best);
            bytes.AddRange(_model.TokenBytes(best));
        }
        return (Encoding.UTF8.GetString([.. bytes]), false, maxTokens);
    }

    /// <summary>Whether the grammar accepts exactly <paramref name="text"/> (ASCII), fed one single-character token at a time.</summary>
    public bool Accepts(string grammar, string text)
    {
        using GrammarSampler sampler = GrammarSampler.TryCreate(_model, grammar, "root", out string? error)
            ?? throw new InvalidOperationException($"llama.cpp refused the grammar: {error}");
        foreach (char c in text)
        {
            int token = _singleCharTokens.TryGetValue(c, out int t) ? t : throw new InvalidOperationException($"No single-character token for '{c}'.");
            if (!sampler.IsAllowed(token))
            {
                return false;
            }
            sampler.Accept(token);
        }
        return sampler.IsAllowed(_model.EndOfSequenceToken);
    }

    public static bool Loads(string grammar)
    {
        using GrammarSampler? sampler = GrammarSampler.TryCreate(TestModel.Model, grammar, "root", out _);
        return sampler is not null;
    }
}

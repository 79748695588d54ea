using SlmCluster.Inference.Native;

namespace SlmCluster.Inference;

/// <summary>
/// llama.cpp's grammar sampler for one sequence: which tokens of the model's vocabulary may come next under a GBNF
/// grammar, and its state as tokens are accepted. Never accepts a token the grammar rejects (llama.cpp would take the
/// process down): <see cref="Accept"/> tests the token first and throws instead. Not thread-safe: one sequence, one
/// thread at a time.
/// </summary>
internal sealed unsafe class GrammarSampler : IDisposable
{
    private readonly SafeLlamaSamplerHandle _handle;
    private readonly LlamaModel _model;

    private GrammarSampler(SafeLlamaSamplerHandle handle, LlamaModel model)
    {
        _handle = handle;
        _model = model;
    }

    /// <summary>
    /// The sampler for <paramref name="grammar"/> over <paramref name="model"/>'s vocabulary, or null with llama.cpp's
    /// reason in <paramref name="error"/> when llama.cpp refuses the grammar.
    /// </summary>
    public static GrammarSampler? TryCreate(LlamaModel model, string grammar, string root, out string? error)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(grammar);
        ArgumentNullException.ThrowIfNull(root);
        LlamaNativeLog.TakeLastError();
        SafeLlamaSamplerHandle handle = LlamaApi.llama_sampler_init_grammar(model.VocabPointer, grammar, root);
        if (handle.IsInvalid)
        {
            handle.Dispose();
            error = LlamaNativeLog.TakeLastError() ?? "llama.cpp refused the grammar";
            return null;
        }
        error = null;
        return new GrammarSampler(handle, model);
    }

    /// <summary>Sets the logit of every candidate the grammar does not allow next to negative infinity.</summary>
    public void Apply(Span<LlamaTokenData> candidates)
    {
        fixed (LlamaTokenData* data = candidates)
        {
            var array = new LlamaTokenDataArray { Data = data, Size = (nuint)candidates.Length, Selected = -1, Sorted = 0 };
            LlamaApi.llama_sampler_apply(_handle, &array);
            if (array.Data != data)
            {
                throw new InvalidOperationException("The grammar sampler replaced the candidate array, which this wrapper does not expect.");
            }
        }
    }

    /// <summary>Whether the grammar allows <paramref name="token"/> next (end-of-generation tokens only where the grammar may end).</summary>
    public bool IsAllowed(int token)
    {
        Span<LlamaTokenData> one = [new LlamaTokenData { Id = token, Logit = 0, P = 0 }];
        Apply(one);
        return !float.IsNegativeInfinity(one[0].Logit);
    }

    /// <summary>Moves the grammar past <paramref name="token"/>.</summary>
    /// <exception cref="InvalidOperationException">The grammar does not allow the token here.</exception>
    public void Accept(int token)
    {
        if (!IsAllowed(token))
        {
            throw new InvalidOperationException($"Token {token} is not allowed by the grammar here.");
        }
        LlamaApi.llama_sampler_accept(_handle, token);
    }

    /// <summary>The model whose vocabulary this sampler matches.</summary>
    public LlamaModel Model => _model;

    public void Dispose() => _handle.Dispose();
}

using SlmCluster.Inference.Native;

namespace SlmCluster.Inference;

/// <summary>Builds a llama.cpp sampler chain for one request's <see cref="SamplingOptions"/>.</summary>
internal static class SamplerChainFactory
{
    /// <summary>
    /// Logit biases first (on the model's own logits, as llama-server orders them), then the penalties, then greedy
    /// when the temperature is 0; otherwise top-k → top-p → min-p → temperature → seeded random pick.
    /// </summary>
    public static SafeLlamaSamplerHandle Create(SamplingOptions sampling, int vocabSize)
    {
        LlamaSamplerChainParams parameters = LlamaApi.llama_sampler_chain_default_params();
        parameters.NoPerf = 1;
        SafeLlamaSamplerHandle chain = LlamaApi.llama_sampler_chain_init(parameters);
        if (chain.IsInvalid)
        {
            chain.Dispose();
            throw new InferenceException(InferenceErrorKind.Internal, "llama.cpp could not create a sampler chain");
        }
        try
        {
            if (sampling.LogitBias.Count > 0)
            {
                Add(chain, LogitBias(sampling.LogitBias, vocabSize));
            }
            if (HasPenalties(sampling))
            {
                Add(chain, LlamaApi.llama_sampler_init_penalties(vocabSize, sampling.PenaltyWindow, sampling.RepeatPenalty,
                    sampling.FrequencyPenalty, sampling.PresencePenalty));
            }
            if (sampling.Temperature == 0f)
            {
                Add(chain, LlamaApi.llama_sampler_init_greedy());
                return chain;
            }
            if (sampling.TopK > 0)
            {
                Add(chain, LlamaApi.llama_sampler_init_top_k(sampling.TopK));
            }
            if (sampling.TopP < 1f)
            {
                Add(chain, LlamaApi.llama_sampler_init_top_p(sampling.TopP, 1));
            }
            if (sampling.MinP > 0f)
            {
                Add(chain, LlamaApi.llama_sampler_init_min_p(sampling.MinP, 1));
            }
            Add(chain, LlamaApi.llama_sampler_init_temp(sampling.Temperature));
            Add(chain, LlamaApi.llama_sampler_init_dist(sampling.Seed ?? LlamaApi.DefaultSeed));
            return chain;
        }
        catch
        {
            chain.Dispose();
            throw;
        }
    }

    private static bool HasPenalties(SamplingOptions sampling) => sampling.PenaltyWindow > 0
        && (sampling.RepeatPenalty != 1f || sampling.FrequencyPenalty != 0f || sampling.PresencePenalty != 0f);

    private static unsafe IntPtr LogitBias(IReadOnlyDictionary<int, float> biases, int vocabSize)
    {
        var entries = new LlamaLogitBias[biases.Count];
        int i = 0;
        foreach ((int token, float bias) in biases)
        {
            entries[i++] = new LlamaLogitBias { Token = token, Bias = bias };
        }
        fixed (LlamaLogitBias* data = entries)
        {
            return LlamaApi.llama_sampler_init_logit_bias(vocabSize, entries.Length, data);
        }
    }

    private static void Add(SafeLlamaSamplerHandle chain, IntPtr sampler)
    {
        if (sampler == IntPtr.Zero)
        {
            throw new InferenceException(InferenceErrorKind.Internal, "llama.cpp could not create a sampler");
        }
        LlamaApi.llama_sampler_chain_add(chain, sampler);
    }
}

using SlmCluster.Inference.Native;

namespace SlmCluster.Inference;

/// <summary>Builds a llama.cpp sampler chain for one request's <see cref="SamplingOptions"/>.</summary>
internal static class SamplerChainFactory
{
    /// <summary>How many recent tokens the repeat penalty looks at.</summary>
    public const int RepeatPenaltyWindow = 64;

    /// <summary>
    /// Greedy when the temperature is 0 (after the repeat penalty, if any); otherwise
    /// penalties → top-k → top-p → min-p → temperature → seeded random pick.
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
            if (sampling.RepeatPenalty != 1f)
            {
                Add(chain, LlamaApi.llama_sampler_init_penalties(vocabSize, RepeatPenaltyWindow, sampling.RepeatPenalty, 0f, 0f));
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

    private static void Add(SafeLlamaSamplerHandle chain, IntPtr sampler)
    {
        if (sampler == IntPtr.Zero)
        {
            throw new InferenceException(InferenceErrorKind.Internal, "llama.cpp could not create a sampler");
        }
        LlamaApi.llama_sampler_chain_add(chain, sampler);
    }
}

using System.Runtime.InteropServices;

namespace SlmCluster.Inference.Native;

/// <summary><c>struct llama_token_data</c>: one candidate token with its logit (and probability, when a sampler set it).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LlamaTokenData
{
    public int Id;
    public float Logit;
    public float P;
}

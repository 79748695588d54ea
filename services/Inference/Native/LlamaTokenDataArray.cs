using System.Runtime.InteropServices;

namespace SlmCluster.Inference.Native;

/// <summary><c>struct llama_token_data_array</c>: the candidates a sampler works on (it may reorder or shorten them).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct LlamaTokenDataArray
{
    public LlamaTokenData* Data;
    public nuint Size;
    public long Selected;
    public byte Sorted;
}

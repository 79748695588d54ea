using Microsoft.Win32.SafeHandles;

namespace SlmCluster.Inference.Native;

/// <summary>Owns a <c>llama_sampler*</c> (a chain; the chain frees the samplers added to it).</summary>
internal sealed class SafeLlamaSamplerHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
{
    protected override bool ReleaseHandle()
    {
        LlamaApi.llama_sampler_free(handle);
        return true;
    }
}

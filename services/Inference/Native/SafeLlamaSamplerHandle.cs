using System.Runtime.InteropServices;

namespace SlmCluster.Inference.Native;

/// <summary>Owns a <c>llama_sampler*</c> (a chain; the chain frees the samplers added to it).</summary>
internal sealed class SafeLlamaSamplerHandle : SafeHandle
{
    public SafeLlamaSamplerHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        LlamaApi.llama_sampler_free(handle);
        return true;
    }
}

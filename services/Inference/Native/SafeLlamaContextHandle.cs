using System.Runtime.InteropServices;

namespace SlmCluster.Inference.Native;

/// <summary>Owns a <c>llama_context*</c>; frees it with <c>llama_free</c>.</summary>
internal sealed class SafeLlamaContextHandle : SafeHandle
{
    public SafeLlamaContextHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        LlamaApi.llama_free(handle);
        return true;
    }
}

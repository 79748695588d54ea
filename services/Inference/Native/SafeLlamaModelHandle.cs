using System.Runtime.InteropServices;

namespace SlmCluster.Inference.Native;

/// <summary>Owns a <c>llama_model*</c>; frees it with <c>llama_model_free</c>.</summary>
internal sealed class SafeLlamaModelHandle : SafeHandle
{
    public SafeLlamaModelHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        LlamaApi.llama_model_free(handle);
        return true;
    }
}

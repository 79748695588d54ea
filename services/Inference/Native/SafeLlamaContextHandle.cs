using Microsoft.Win32.SafeHandles;

namespace SlmCluster.Inference.Native;

/// <summary>Owns a <c>llama_context*</c>; frees it with <c>llama_free</c>.</summary>
internal sealed class SafeLlamaContextHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
{
    protected override bool ReleaseHandle()
    {
        LlamaApi.llama_free(handle);
        return true;
    }
}

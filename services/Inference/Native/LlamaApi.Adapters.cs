using System.Runtime.InteropServices;

namespace SlmCluster.Inference.Native;

/// <summary>The LoRA adapter functions of <c>llama.h</c>.</summary>
internal static unsafe partial class LlamaApi
{
    /// <summary>
    /// Loads a LoRA adapter for <paramref name="model"/>; NULL (with the reason in llama.cpp's log) when the file is not
    /// one for this model. The adapter lives until <see cref="llama_adapter_lora_free"/> or the model's end.
    /// </summary>
    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr llama_adapter_lora_init(SafeLlamaModelHandle model, string pathLora);

    [LibraryImport(LibraryName)]
    public static partial void llama_adapter_lora_free(IntPtr adapter);

    /// <summary>
    /// Sets the context's whole adapter set (n = 0 clears it). A set that differs from the current one re-reserves
    /// the compute graph at the next decode; the same set again is free.
    /// </summary>
    [LibraryImport(LibraryName)]
    public static partial int llama_set_adapters_lora(SafeLlamaContextHandle context, IntPtr* adapters, nuint nAdapters, float* scales);
}

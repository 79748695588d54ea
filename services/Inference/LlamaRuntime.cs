using Microsoft.Extensions.Logging;
using SlmCluster.Inference.Native;

namespace SlmCluster.Inference;

/// <summary>Process-wide facts about the llama.cpp runtime this process loaded.</summary>
public static class LlamaRuntime
{
    /// <summary>
    /// The compute devices ggml found, e.g. <c>"CPU (AMD EPYC)"</c> or <c>"CUDA0 (NVIDIA H100)"</c>; loads the
    /// native libraries on first use.
    /// </summary>
    public static IReadOnlyList<string> Devices(ILoggerFactory? loggerFactory = null)
    {
        LlamaBackend.EnsureInitialized(loggerFactory);
        return LlamaBackend.Devices;
    }

    /// <summary>The folder the native libraries are loaded from.</summary>
    public static string NativeDirectory => NativeLibraryResolver.NativeDirectory;
}

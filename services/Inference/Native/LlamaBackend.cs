using Microsoft.Extensions.Logging;

namespace SlmCluster.Inference.Native;

/// <summary>One-time process setup: log routing, <c>llama_backend_init</c> and loading the ggml backends.</summary>
internal static unsafe class LlamaBackend
{
    private static readonly Lock InitializationLock = new();
    private static bool s_initialized;

    /// <summary>Names of the compute devices ggml found (e.g. "CPU", "CUDA0").</summary>
    public static IReadOnlyList<string> Devices { get; private set; } = [];

    public static void EnsureInitialized(ILoggerFactory? loggerFactory)
    {
        LlamaNativeLog.UseLoggerFactory(loggerFactory);
        lock (InitializationLock)
        {
            if (s_initialized)
            {
                return;
            }
            NativeLibraryResolver.EnsureRegistered();
            LlamaNativeLog.Install();
            LlamaApi.llama_backend_init();
            // Picks the best CPU variant for this machine (and CUDA when that build is present).
            GgmlApi.ggml_backend_load_all_from_path(NativeLibraryResolver.NativeDirectory);
            Devices = ListDevices();
            if (Devices.Count == 0)
            {
                throw new InvalidOperationException(
                    $"llama.cpp found no compute backend in {NativeLibraryResolver.NativeDirectory} (expected libggml-cpu-*.so).");
            }
            s_initialized = true;
            loggerFactory?.CreateLogger(LlamaNativeLog.CategoryName)
                .LogInformation("llama.cpp backends loaded from {NativeDirectory}: {Devices}",
                    NativeLibraryResolver.NativeDirectory, string.Join(", ", Devices));
        }
    }

    private static string[] ListDevices()
    {
        int count = (int)GgmlApi.ggml_backend_dev_count();
        var devices = new string[count];
        for (int i = 0; i < count; i++)
        {
            IntPtr device = GgmlApi.ggml_backend_dev_get((nuint)i);
            string name = LlamaApi.ReadUtf8(GgmlApi.ggml_backend_dev_name(device)) ?? "?";
            string? description = LlamaApi.ReadUtf8(GgmlApi.ggml_backend_dev_description(device));
            devices[i] = string.IsNullOrEmpty(description) ? name : $"{name} ({description})";
        }
        return devices;
    }
}

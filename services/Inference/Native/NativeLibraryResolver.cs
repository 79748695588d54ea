using System.Reflection;
using System.Runtime.InteropServices;

namespace SlmCluster.Inference.Native;

/// <summary>
/// Maps the library names used by <c>[LibraryImport]</c> ("llama", "ggml", "ggml-base") to the versioned
/// files that the build copies to <c>runtimes/linux-x64/native/</c> next to the application.
/// </summary>
internal static class NativeLibraryResolver
{
    private static int s_registered;

    /// <summary>The folder that holds libllama and the ggml backends (absolute).</summary>
    public static string NativeDirectory { get; } = FindNativeDirectory();

    /// <summary>Registers the resolver for this assembly; safe to call any number of times.</summary>
    public static void EnsureRegistered()
    {
        if (Interlocked.Exchange(ref s_registered, 1) == 0)
        {
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        string? pattern = libraryName switch
        {
            LlamaApi.LibraryName => "libllama*.so",
            GgmlApi.LibraryName => "libggml.v*.so",
            GgmlApi.BaseLibraryName => "libggml-base.so",
            _ => null,
        };
        if (pattern is null)
        {
            return IntPtr.Zero;
        }

        string? path = FindLibrary(pattern, libraryName);
        if (path is null)
        {
            throw new DllNotFoundException(
                $"The native llama.cpp library '{libraryName}' ({pattern}) was not found in {NativeDirectory}. " +
                "Build the Inference project so that LlamaNative.targets copies the native libraries to the output.");
        }
        return NativeLibrary.Load(path);
    }

    private static string? FindLibrary(string pattern, string libraryName)
    {
        if (!Directory.Exists(NativeDirectory))
        {
            return null;
        }
        // libllama-common.so also matches "libllama*.so"; prefer the versioned main library.
        return Directory.EnumerateFiles(NativeDirectory, pattern)
            .Where(path => libraryName != LlamaApi.LibraryName || !Path.GetFileName(path).StartsWith("libllama-", StringComparison.Ordinal))
            .OrderByDescending(path => path, StringComparer.Ordinal)
            .FirstOrDefault();
    }

    private static string FindNativeDirectory()
    {
        string relative = Path.Combine("runtimes", "linux-x64", "native");
        string[] roots = [AppContext.BaseDirectory, Path.GetDirectoryName(typeof(NativeLibraryResolver).Assembly.Location) ?? ""];
        foreach (string root in roots.Where(r => r.Length > 0))
        {
            string candidate = Path.GetFullPath(Path.Combine(root, relative));
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        return Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, relative));
    }
}

using System.Runtime.InteropServices;

namespace SlmCluster.Inference.Native;

/// <summary>The few ggml entry points the binding needs: backend loading and tensor type sizes.</summary>
internal static unsafe partial class GgmlApi
{
    public const string LibraryName = "ggml";
    public const string BaseLibraryName = "ggml-base";

    /// <summary><c>GGML_TYPE_COUNT</c> of the llama.h we bind.</summary>
    public const int TypeCount = 43;

    static GgmlApi() => NativeLibraryResolver.EnsureRegistered();

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void ggml_backend_load_all_from_path(string dirPath);

    [LibraryImport(LibraryName)]
    public static partial nuint ggml_backend_dev_count();

    [LibraryImport(LibraryName)]
    public static partial IntPtr ggml_backend_dev_get(nuint index);

    [LibraryImport(LibraryName)]
    public static partial byte* ggml_backend_dev_name(IntPtr device);

    [LibraryImport(LibraryName)]
    public static partial byte* ggml_backend_dev_description(IntPtr device);

    [LibraryImport(BaseLibraryName)]
    public static partial long ggml_blck_size(int type);

    [LibraryImport(BaseLibraryName)]
    public static partial nuint ggml_type_size(int type);
}

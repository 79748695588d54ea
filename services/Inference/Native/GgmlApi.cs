using System.Runtime.InteropServices;

namespace SlmCluster.Inference.Native;

/// <summary>The few ggml entry points the binding needs: backend loading, CPU threadpools and tensor type sizes.</summary>
internal static unsafe partial class GgmlApi
{
    public const string LibraryName = "ggml";
    public const string BaseLibraryName = "ggml-base";

    /// <summary><c>GGML_TYPE_COUNT</c> of the llama.h we bind.</summary>
    public const int TypeCount = 43;

    static GgmlApi() => NativeLibraryResolver.EnsureRegistered();

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void ggml_backend_load_all_from_path(string dirPath);

    /// <summary><c>GGML_BACKEND_DEVICE_TYPE_CPU</c>.</summary>
    public const int DeviceTypeCpu = 0;

    [LibraryImport(LibraryName)]
    public static partial nuint ggml_backend_dev_count();

    [LibraryImport(LibraryName)]
    public static partial IntPtr ggml_backend_dev_by_type(int type);

    [LibraryImport(LibraryName)]
    public static partial IntPtr ggml_backend_dev_backend_reg(IntPtr device);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr ggml_backend_reg_get_proc_address(IntPtr registry, string name);

    [LibraryImport(BaseLibraryName)]
    public static partial GgmlThreadpool.ThreadpoolParams ggml_threadpool_params_default(int threads);

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

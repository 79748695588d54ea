using System.Runtime.InteropServices;

namespace SlmCluster.Inference.Native;

/// <summary>
/// A ggml CPU threadpool that lives as long as the engine. Without one, llama.cpp makes a throw-away pool for every
/// <c>llama_decode</c>: it starts Threads − 1 OS threads and joins them again at every step (one clone, a join and
/// cold caches per generated token). A persistent pool keeps its threads; between decodes they spin for a while
/// (<see cref="PollLevel"/>) and then sleep until the next graph.
/// </summary>
internal sealed unsafe class GgmlThreadpool : IDisposable
{
    /// <summary><c>GGML_MAX_N_THREADS</c>: length of the cpumask at the start of <c>ggml_threadpool_params</c>.</summary>
    private const int MaxThreads = 512;

    /// <summary>
    /// llama.cpp's own default (what llama-server runs with): after a graph the threads spin briefly for the next one
    /// (a decode step follows within microseconds while requests run) and sleep when none comes.
    /// </summary>
    public const uint DefaultPollLevel = 50;

    private readonly delegate* unmanaged[Cdecl]<IntPtr, void> _free;
    private IntPtr _handle;

    private GgmlThreadpool(IntPtr handle, delegate* unmanaged[Cdecl]<IntPtr, void> free)
    {
        _handle = handle;
        _free = free;
    }

    public IntPtr Handle => _handle;

    /// <summary>
    /// A pool of <paramref name="threads"/> (the calling thread is one of them) with ggml's polling level
    /// <paramref name="pollLevel"/> (0 = sleep right after each graph, 100 = spin longest); null when the CPU backend
    /// does not offer threadpools (llama.cpp then makes its own per decode).
    /// </summary>
    public static GgmlThreadpool? Create(int threads, uint pollLevel)
    {
        IntPtr device = GgmlApi.ggml_backend_dev_by_type(GgmlApi.DeviceTypeCpu);
        if (device == IntPtr.Zero)
        {
            return null;
        }
        IntPtr registry = GgmlApi.ggml_backend_dev_backend_reg(device);
        IntPtr create = GgmlApi.ggml_backend_reg_get_proc_address(registry, "ggml_threadpool_new");
        IntPtr free = GgmlApi.ggml_backend_reg_get_proc_address(registry, "ggml_threadpool_free");
        if (create == IntPtr.Zero || free == IntPtr.Zero)
        {
            return null;
        }
        ThreadpoolParams parameters = GgmlApi.ggml_threadpool_params_default(threads);
        parameters.Poll = pollLevel;
        IntPtr handle = ((delegate* unmanaged[Cdecl]<ThreadpoolParams*, IntPtr>)create)(&parameters);
        return handle == IntPtr.Zero ? null : new GgmlThreadpool(handle, (delegate* unmanaged[Cdecl]<IntPtr, void>)free);
    }

    /// <summary>Stops and joins the pool's threads; detach it from every context first.</summary>
    public void Dispose()
    {
        IntPtr handle = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (handle != IntPtr.Zero)
        {
            _free(handle);
        }
    }

    /// <summary><c>struct ggml_threadpool_params</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct ThreadpoolParams
    {
        public fixed byte CpuMask[MaxThreads];
        public int NThreads;
        public int Priority;
        public uint Poll;
        public byte StrictCpu;
        public byte Paused;
    }
}

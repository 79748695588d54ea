using System.Runtime.InteropServices;

namespace SlmCluster.Inference.Native;

/// <summary><c>struct llama_model_params</c>, field by field (C <c>bool</c> is a byte).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LlamaModelParams
{
    public IntPtr Devices;
    public IntPtr TensorBuftOverrides;
    public int NGpuLayers;
    public int SplitMode;
    public int LoadMode;
    public int LazyMode;
    public int MainGpu;
    public IntPtr TensorSplit;
    public IntPtr ProgressCallback;
    public IntPtr ProgressCallbackUserData;
    public IntPtr KvOverrides;
    public byte VocabOnly;
    public byte CheckTensors;
    public byte UseExtraBufts;
    public byte NoHost;
    public byte NoAlloc;
    public byte LoadMtp;

    /// <summary><c>enum llama_load_mode</c> values used here.</summary>
    public const int LoadModeNone = 0;
    public const int LoadModeMmap = 1;
}

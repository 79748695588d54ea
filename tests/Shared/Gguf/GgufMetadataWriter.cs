using System.Runtime.InteropServices;
using SlmCluster.Inference;

namespace SlmCluster.Testing;

/// <summary>
/// Copies a GGUF model with string metadata set, through libggml's own gguf functions (the file format stays
/// libggml's to write): how the tests make a model that carries a chat template from one that has none. The copy is
/// a new gguf context with the source's metadata and tensors added to it; writing the source's own context back
/// out would write the blob tensor libggml reads the data into as well.
/// </summary>
public static unsafe class GgufMetadataWriter
{
    private static readonly Lazy<Api> NativeApi = new(Api.Load);

    /// <summary>Writes <paramref name="destination"/>: <paramref name="source"/> with each of <paramref name="values"/> set (added or replaced).</summary>
    public static void CopyWith(string source, string destination, IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var api = NativeApi.Value;
        using var strings = new Utf8Strings();
        IntPtr tensors = IntPtr.Zero;
        // Tensor data is loaded (no_alloc false) so that the copy carries it.
        var original = api.InitFromFile(strings.Of(source), new InitParams { NoAlloc = 0, Context = &tensors });
        if (original == IntPtr.Zero)
        {
            throw new InvalidOperationException($"libggml could not read {source} as GGUF.");
        }

        var copy = api.InitEmpty();
        try
        {
            api.SetKv(copy, original);
            foreach (var (key, value) in values)
            {
                api.SetString(copy, strings.Of(key), strings.Of(value));
            }

            for (var tensor = api.FirstTensor(tensors); tensor != IntPtr.Zero; tensor = api.NextTensor(tensors, tensor))
            {
                if (api.FindTensor(original, api.TensorName(tensor)) >= 0)
                {
                    api.AddTensor(copy, tensor);
                }
            }

            if (api.WriteToFile(copy, strings.Of(destination), 0) == 0)
            {
                throw new IOException($"libggml could not write {destination}.");
            }
        }
        finally
        {
            api.Free(copy);
            api.Free(original);
            if (tensors != IntPtr.Zero)
            {
                api.FreeContext(tensors);
            }
        }
    }

    /// <summary>
    /// Writes a LoRA adapter GGUF for the model at <paramref name="baseModel"/> as llama.cpp's converter lays one out:
    /// general.type "adapter", the base's architecture, adapter.type "lora", adapter.lora.alpha, and for each targeted
    /// base weight [n_in, n_out] an F32 <c>.lora_a</c> [n_in, r] and <c>.lora_b</c> [r, n_out] (ggml order).
    /// </summary>
    public static void WriteLoraAdapter(string baseModel, string destination, LoraAdapterSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var api = NativeApi.Value;
        using var strings = new Utf8Strings();
        IntPtr baseTensors = IntPtr.Zero;
        var original = api.InitFromFile(strings.Of(baseModel), new InitParams { NoAlloc = 1, Context = &baseTensors });
        if (original == IntPtr.Zero)
        {
            throw new InvalidOperationException($"libggml could not read {baseModel} as GGUF.");
        }

        var targets = new List<(string Name, long In, long Out)>();
        string architecture;
        try
        {
            var archKey = api.FindKey(original, strings.Of("general.architecture"));
            architecture = spec.Architecture ?? Marshal.PtrToStringUTF8((IntPtr)api.GetValString(original, archKey))!;
            for (var tensor = api.FirstTensor(baseTensors); tensor != IntPtr.Zero; tensor = api.NextTensor(baseTensors, tensor))
            {
                var name = Marshal.PtrToStringUTF8((IntPtr)api.TensorName(tensor))!;
                if (name.EndsWith(".weight", StringComparison.Ordinal) && spec.Targets.Any(t => name.Contains(t, StringComparison.Ordinal)))
                {
                    // ggml_tensor: enum type, buffer pointer, then int64 ne[4]; checked against ggml_nelements.
                    var ne = (long*)((byte*)tensor + 16);
                    if (ne[0] * ne[1] * ne[2] * ne[3] != api.NElements(tensor))
                    {
                        throw new InvalidOperationException("ggml_tensor's layout is not the one this writer reads.");
                    }
                    targets.Add((name, ne[0], ne[1]));
                }
            }
        }
        finally
        {
            api.Free(original);
            if (baseTensors != IntPtr.Zero)
            {
                api.FreeContext(baseTensors);
            }
        }
        if (targets.Count == 0)
        {
            throw new InvalidOperationException($"{baseModel} has no weights named like {string.Join(", ", spec.Targets)}.");
        }

        long bytes = targets.Sum(t => (t.In + t.Out) * spec.Rank * sizeof(float) + 1024);
        var tensors = api.GgmlInit(new GgmlInitParams { MemSize = (nuint)bytes + (1 << 16), MemBuffer = IntPtr.Zero, NoAlloc = 0 });
        var adapter = api.InitEmpty();
        try
        {
            api.SetString(adapter, strings.Of("general.type"), strings.Of(spec.GeneralType));
            api.SetString(adapter, strings.Of("general.architecture"), strings.Of(architecture));
            api.SetString(adapter, strings.Of("adapter.type"), strings.Of("lora"));
            api.SetFloat(adapter, strings.Of("adapter.lora.alpha"), spec.Alpha);
            var random = new Random(spec.Seed);
            foreach (var (name, inputs, outputs) in targets)
            {
                Add(name + ".lora_a", inputs, spec.Rank, zero: false);
                Add(name + ".lora_b", spec.Rank, outputs, spec.ZeroB);
            }

            if (api.WriteToFile(adapter, strings.Of(destination), 0) == 0)
            {
                throw new IOException($"libggml could not write {destination}.");
            }

            void Add(string name, long ne0, long ne1, bool zero)
            {
                var tensor = api.NewTensor2d(tensors, 0 /* GGML_TYPE_F32 */, ne0, ne1);
                api.SetName(tensor, strings.Of(name));
                var data = new Span<float>(api.GetData(tensor), checked((int)(ne0 * ne1)));
                for (var i = 0; i < data.Length; i++)
                {
                    data[i] = zero ? 0f : (float)((random.NextDouble() * 2 - 1) * spec.Magnitude);
                }
                api.AddTensor(adapter, tensor);
            }
        }
        finally
        {
            api.Free(adapter);
            api.FreeContext(tensors);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct GgmlInitParams
    {
        public nuint MemSize;
        public IntPtr MemBuffer;
        public byte NoAlloc;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct InitParams
    {
        public byte NoAlloc;
        public IntPtr* Context;
    }

    /// <summary>NUL-terminated UTF-8 copies of strings, freed together.</summary>
    private sealed class Utf8Strings : IDisposable
    {
        private readonly List<IntPtr> _allocated = [];

        public byte* Of(string text)
        {
            var pointer = Marshal.StringToCoTaskMemUTF8(text);
            _allocated.Add(pointer);
            return (byte*)pointer;
        }

        public void Dispose()
        {
            foreach (var pointer in _allocated)
            {
                Marshal.FreeCoTaskMem(pointer);
            }
        }
    }

    private sealed class Api
    {
        public required delegate* unmanaged<byte*, InitParams, IntPtr> InitFromFile { get; init; }

        public required delegate* unmanaged<IntPtr> InitEmpty { get; init; }

        public required delegate* unmanaged<IntPtr, IntPtr, void> SetKv { get; init; }

        public required delegate* unmanaged<IntPtr, byte*, byte*, void> SetString { get; init; }

        public required delegate* unmanaged<IntPtr, byte*, long> FindTensor { get; init; }

        public required delegate* unmanaged<IntPtr, IntPtr, void> AddTensor { get; init; }

        public required delegate* unmanaged<IntPtr, byte*, byte, byte> WriteToFile { get; init; }

        public required delegate* unmanaged<IntPtr, void> Free { get; init; }

        public required delegate* unmanaged<IntPtr, IntPtr> FirstTensor { get; init; }

        public required delegate* unmanaged<IntPtr, IntPtr, IntPtr> NextTensor { get; init; }

        public required delegate* unmanaged<IntPtr, byte*> TensorName { get; init; }

        public required delegate* unmanaged<IntPtr, void> FreeContext { get; init; }

        public required delegate* unmanaged<IntPtr, byte*, long> FindKey { get; init; }

        public required delegate* unmanaged<IntPtr, long, byte*> GetValString { get; init; }

        public required delegate* unmanaged<IntPtr, byte*, float, void> SetFloat { get; init; }

        public required delegate* unmanaged<GgmlInitParams, IntPtr> GgmlInit { get; init; }

        public required delegate* unmanaged<IntPtr, int, long, long, IntPtr> NewTensor2d { get; init; }

        public required delegate* unmanaged<IntPtr, byte*, IntPtr> SetName { get; init; }

        public required delegate* unmanaged<IntPtr, void*> GetData { get; init; }

        public required delegate* unmanaged<IntPtr, long> NElements { get; init; }

        public static Api Load()
        {
            var library = NativeLibrary.Load(Path.Combine(LlamaRuntime.NativeDirectory, "libggml-base.so"));
            IntPtr Export(string name) => NativeLibrary.GetExport(library, name);
            return new Api
            {
                InitFromFile = (delegate* unmanaged<byte*, InitParams, IntPtr>)Export("gguf_init_from_file"),
                InitEmpty = (delegate* unmanaged<IntPtr>)Export("gguf_init_empty"),
                SetKv = (delegate* unmanaged<IntPtr, IntPtr, void>)Export("gguf_set_kv"),
                SetString = (delegate* unmanaged<IntPtr, byte*, byte*, void>)Export("gguf_set_val_str"),
                FindTensor = (delegate* unmanaged<IntPtr, byte*, long>)Export("gguf_find_tensor"),
                AddTensor = (delegate* unmanaged<IntPtr, IntPtr, void>)Export("gguf_add_tensor"),
                WriteToFile = (delegate* unmanaged<IntPtr, byte*, byte, byte>)Export("gguf_write_to_file"),
                Free = (delegate* unmanaged<IntPtr, void>)Export("gguf_free"),
                FirstTensor = (delegate* unmanaged<IntPtr, IntPtr>)Export("ggml_get_first_tensor"),
                NextTensor = (delegate* unmanaged<IntPtr, IntPtr, IntPtr>)Export("ggml_get_next_tensor"),
                TensorName = (delegate* unmanaged<IntPtr, byte*>)Export("ggml_get_name"),
                FreeContext = (delegate* unmanaged<IntPtr, void>)Export("ggml_free"),
                FindKey = (delegate* unmanaged<IntPtr, byte*, long>)Export("gguf_find_key"),
                GetValString = (delegate* unmanaged<IntPtr, long, byte*>)Export("gguf_get_val_str"),
                SetFloat = (delegate* unmanaged<IntPtr, byte*, float, void>)Export("gguf_set_val_f32"),
                GgmlInit = (delegate* unmanaged<GgmlInitParams, IntPtr>)Export("ggml_init"),
                NewTensor2d = (delegate* unmanaged<IntPtr, int, long, long, IntPtr>)Export("ggml_new_tensor_2d"),
                SetName = (delegate* unmanaged<IntPtr, byte*, IntPtr>)Export("ggml_set_name"),
                GetData = (delegate* unmanaged<IntPtr, void*>)Export("ggml_get_data"),
                NElements = (delegate* unmanaged<IntPtr, long>)Export("ggml_nelements"),
            };
        }
    }
}

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
            };
        }
    }
}

using System.Buffers.Binary;
using System.Text;
using SlmCluster.Inference.Native;

namespace SlmCluster.Inference;

/// <summary>
/// Reads a GGUF file's header, metadata and tensor table in managed code and checks that the file is as
/// long as its tensors say, so that a wrong or cut-off file is refused before llama.cpp touches it
/// (llama.cpp may abort the process on some malformed files).
/// </summary>
internal static class GgufFileValidator
{
    private const uint Magic = 0x46554747; // "GGUF" read as little-endian uint32
    private const uint MinVersion = 2;
    private const uint MaxVersion = 3;
    private const uint DefaultAlignment = 32;
    private const int MaxDimensions = 4;
    private const string AlignmentKey = "general.alignment";
    private const int MaxKeptString = 1 << 16;

    // gguf_type
    private const uint TypeUInt8 = 0, TypeInt8 = 1, TypeUInt16 = 2, TypeInt16 = 3, TypeUInt32 = 4, TypeInt32 = 5,
        TypeFloat32 = 6, TypeBool = 7, TypeString = 8, TypeArray = 9, TypeUInt64 = 10, TypeInt64 = 11, TypeFloat64 = 12;

    /// <summary>Throws <see cref="ModelLoadException"/> naming <paramref name="path"/> unless it is a complete GGUF file.</summary>
    public static void Validate(string path) => Read(path);

    /// <summary>
    /// Like <see cref="Validate"/>, and returns the string and f32 metadata and the tensor table read on the way
    /// (what adapter checks compare against their base).
    /// </summary>
    public static GgufContents Read(string path)
    {
        FileInfo file = new(path);
        if (!file.Exists)
        {
            throw new ModelLoadException(path, $"Model file not found: {path}");
        }

        try
        {
            using FileStream stream = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
            var reader = new Reader(stream, path);
            var contents = new GgufContents();
            ValidateContent(reader, path, file.Length, contents);
            return contents;
        }
        catch (EndOfStreamException)
        {
            throw Corrupt(path, file.Length, "the metadata ends before the header says it should");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException(path, $"Model file {path} could not be read: {ex.Message}", ex);
        }
    }

    private static void ValidateContent(Reader reader, string path, long fileLength, GgufContents contents)
    {
        if (fileLength < 4)
        {
            throw new ModelLoadException(path, $"Model file {path} is not a GGUF file (bad magic: it is only {fileLength} bytes long)");
        }
        uint magic = reader.UInt32();
        if (magic != Magic)
        {
            throw new ModelLoadException(path,
                $"Model file {path} is not a GGUF file (bad magic 0x{magic:X8}, expected 0x{Magic:X8} \"GGUF\")");
        }
        uint version = reader.UInt32();
        if (version is < MinVersion or > MaxVersion)
        {
            throw new ModelLoadException(path,
                $"Model file {path} has GGUF version {version}; this build reads versions {MinVersion} to {MaxVersion}");
        }
        ulong tensorCount = reader.UInt64();
        ulong kvCount = reader.UInt64();
        // Every entry takes at least 8 bytes; counts beyond the file length mean garbage, not a big model.
        if (tensorCount > (ulong)fileLength / 8 || kvCount > (ulong)fileLength / 8)
        {
            throw Corrupt(path, fileLength, $"the header claims {tensorCount} tensors and {kvCount} metadata entries");
        }

        uint alignment = DefaultAlignment;
        for (ulong i = 0; i < kvCount; i++)
        {
            string key = reader.String();
            uint type = reader.UInt32();
            if (key == AlignmentKey && type == TypeUInt32)
            {
                alignment = reader.UInt32();
                if (alignment == 0 || (alignment & (alignment - 1)) != 0)
                {
                    throw Corrupt(path, fileLength, $"{AlignmentKey} is {alignment}, not a power of two");
                }
                continue;
            }
            if (type == TypeString)
            {
                // Long strings (embedded tokenizer files) are skipped: the checks only look at short names.
                if (reader.ShortStringOrSkip(MaxKeptString) is { } value)
                {
                    contents.Strings[key] = value;
                }
                continue;
            }
            if (type == TypeFloat32)
            {
                contents.Floats[key] = BitConverter.UInt32BitsToSingle(reader.UInt32());
                continue;
            }
            SkipValue(reader, type, path, fileLength, key);
        }

        ulong dataSize = 0;
        for (ulong i = 0; i < tensorCount; i++)
        {
            string name = reader.String();
            uint dimensions = reader.UInt32();
            if (dimensions is 0 or > MaxDimensions)
            {
                throw Corrupt(path, fileLength, $"tensor '{name}' has {dimensions} dimensions");
            }
            ulong elements = 1;
            long firstDimension = 0;
            long[] shape = new long[dimensions];
            for (uint d = 0; d < dimensions; d++)
            {
                ulong size = reader.UInt64();
                if (size > long.MaxValue)
                {
                    throw Corrupt(path, fileLength, $"tensor '{name}' has a dimension of {size}");
                }
                shape[d] = (long)size;
                if (d == 0)
                {
                    firstDimension = (long)size;
                }
                elements = checked(elements * size);
            }
            uint tensorType = reader.UInt32();
            ulong offset = reader.UInt64();
            ulong bytes = TensorBytes(tensorType, elements, firstDimension, name, path, fileLength);
            if (offset % alignment != 0)
            {
                throw Corrupt(path, fileLength, $"tensor '{name}' starts at offset {offset}, not aligned to {alignment}");
            }
            dataSize = Math.Max(dataSize, checked(offset + bytes));
            contents.Tensors[name] = shape;
        }

        ulong dataStart = AlignUp((ulong)reader.Position, alignment);
        ulong expected = checked(dataStart + dataSize);
        if ((ulong)fileLength < expected)
        {
            throw Corrupt(path, fileLength, $"its tensors need {expected:N0} bytes but the file has {fileLength:N0}");
        }
    }

    private static ulong TensorBytes(uint type, ulong elements, long firstDimension, string name, string path, long fileLength)
    {
        if (type >= GgmlApi.TypeCount)
        {
            throw Corrupt(path, fileLength, $"tensor '{name}' has unknown type {type}");
        }
        long blockSize = GgmlApi.ggml_blck_size((int)type);
        ulong typeSize = GgmlApi.ggml_type_size((int)type);
        if (blockSize <= 0 || typeSize == 0)
        {
            throw new ModelLoadException(path, $"Model file {path} uses tensor type {type} (tensor '{name}'), which this llama.cpp build no longer supports");
        }
        if (firstDimension % blockSize != 0)
        {
            throw Corrupt(path, fileLength, $"tensor '{name}' has a row of {firstDimension} elements, not a multiple of its block size {blockSize}");
        }
        return checked(elements / (ulong)blockSize * typeSize);
    }

    private static void SkipValue(Reader reader, uint type, string path, long fileLength, string key)
    {
        switch (type)
        {
            case TypeString:
                reader.SkipString();
                break;
            case TypeArray:
                uint elementType = reader.UInt32();
                ulong count = reader.UInt64();
                if (elementType == TypeArray)
                {
                    throw Corrupt(path, fileLength, $"metadata '{key}' is an array of arrays");
                }
                if (count > (ulong)fileLength)
                {
                    throw Corrupt(path, fileLength, $"metadata '{key}' claims {count} elements");
                }
                if (elementType == TypeString)
                {
                    for (ulong i = 0; i < count; i++)
                    {
                        reader.SkipString();
                    }
                }
                else
                {
                    reader.Skip(checked((long)count * ScalarSize(elementType, path, fileLength, $"metadata '{key}' is an array of unknown type {elementType}")));
                }
                break;
            default:
                reader.Skip(ScalarSize(type, path, fileLength, $"metadata '{key}' has unknown type {type}"));
                break;
        }
    }

    private static long ScalarSize(uint type, string path, long fileLength, string unknown) => type switch
    {
        TypeUInt8 or TypeInt8 or TypeBool => 1,
        TypeUInt16 or TypeInt16 => 2,
        TypeUInt32 or TypeInt32 or TypeFloat32 => 4,
        TypeUInt64 or TypeInt64 or TypeFloat64 => 8,
        _ => throw Corrupt(path, fileLength, unknown),
    };

    private static ulong AlignUp(ulong value, uint alignment) => (value + alignment - 1) / alignment * alignment;

    private static ModelLoadException Corrupt(string path, long fileLength, string detail) =>
        new(path, $"Model file {path} is truncated or corrupt: {detail} ({fileLength:N0} bytes on disk)");

    /// <summary>Little-endian reads that never run past the end of the file.</summary>
    private sealed class Reader(FileStream stream, string path)
    {
        private readonly byte[] _scratch = new byte[8];
        private readonly long _length = stream.Length;

        public long Position => stream.Position;

        public uint UInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Read(4));

        public ulong UInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Read(8));

        public string String()
        {
            ulong length = UInt64();
            EnsureAvailable(length);
            if (length > 1 << 20)
            {
                throw new ModelLoadException(path, $"Model file {path} is truncated or corrupt: a metadata string of {length:N0} bytes");
            }
            byte[] bytes = new byte[(int)length];
            stream.ReadExactly(bytes);
            return Encoding.UTF8.GetString(bytes);
        }

        /// <summary>A string of at most <paramref name="max"/> bytes; longer ones are skipped (null).</summary>
        public string? ShortStringOrSkip(int max)
        {
            ulong length = UInt64();
            EnsureAvailable(length);
            if (length > (ulong)max)
            {
                stream.Seek((long)length, SeekOrigin.Current);
                return null;
            }
            byte[] bytes = new byte[(int)length];
            stream.ReadExactly(bytes);
            return Encoding.UTF8.GetString(bytes);
        }

        public void SkipString() => Skip((long)Math.Min(UInt64(), long.MaxValue));

        public void Skip(long bytes)
        {
            EnsureAvailable((ulong)bytes);
            stream.Seek(bytes, SeekOrigin.Current);
        }

        private ReadOnlySpan<byte> Read(int count)
        {
            EnsureAvailable((ulong)count);
            stream.ReadExactly(_scratch, 0, count);
            return _scratch.AsSpan(0, count);
        }

        private void EnsureAvailable(ulong count)
        {
            if (count > (ulong)(_length - stream.Position))
            {
                throw new EndOfStreamException();
            }
        }
    }
}

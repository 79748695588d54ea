using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Unicode;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace SlmCluster.Grpc.Protocol;

/// <summary>
/// Finds string fields whose bytes are not UTF-8. proto3 requires UTF-8 strings and other runtimes refuse them, but
/// Google.Protobuf for C# decodes them leniently (invalid bytes become U+FFFD), which would silently change a prompt.
/// </summary>
internal static class ProtobufUtf8Check
{
    private static readonly ConcurrentDictionary<MessageDescriptor, bool> HasStrings = new();

    /// <summary>The full name of the first string field holding invalid UTF-8, or null when all are valid.</summary>
    /// <remarks>Call it on a payload that has already parsed as <paramref name="descriptor"/>'s message.</remarks>
    public static string? FindInvalidString(MessageDescriptor descriptor, in ReadOnlySequence<byte> payload)
    {
        if (!ContainsStrings(descriptor))
        {
            return null;
        }

        var bytes = payload.IsSingleSegment ? payload.First : payload.ToArray();

        // Every byte below 0x80 (most prompts and tokens, with small numbers around them): every string is ASCII, so UTF-8.
        if (System.Text.Ascii.IsValid(bytes.Span))
        {
            return null;
        }

        return Find(descriptor, UnsafeByteOperations.UnsafeWrap(bytes));
    }

    private static string? Find(MessageDescriptor descriptor, ByteString message)
    {
        var input = message.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var field = descriptor.FindFieldByNumber(WireFormat.GetTagFieldNumber(tag));
            if (field is null || WireFormat.GetTagWireType(tag) != WireFormat.WireType.LengthDelimited)
            {
                input.SkipLastField();
                continue;
            }

            switch (field.FieldType)
            {
                case FieldType.String:
                    if (!Utf8.IsValid(input.ReadBytes().Span))
                    {
                        return field.FullName;
                    }

                    break;
                case FieldType.Message when ContainsStrings(field.MessageType):
                    if (Find(field.MessageType, input.ReadBytes()) is { } nested)
                    {
                        return nested;
                    }

                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return null;
    }

    private static bool ContainsStrings(MessageDescriptor descriptor) =>
        HasStrings.GetOrAdd(descriptor, static d => Reaches(d, []));

    private static bool Reaches(MessageDescriptor descriptor, HashSet<MessageDescriptor> seen)
    {
        if (!seen.Add(descriptor))
        {
            return false;
        }

        return descriptor.Fields.InFieldNumberOrder().Any(f =>
            f.FieldType == FieldType.String || (f.FieldType == FieldType.Message && Reaches(f.MessageType, seen)));
    }
}

using Google.Protobuf;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>
/// One span of an OTLP export, read straight from the protobuf wire format (the OTLP messages are not a package
/// here): the service that sent it, the scope (activity source) that made it, its ids, name and kind.
/// </summary>
internal sealed record OtlpSpan(string Service, string Scope, string TraceId, string SpanId, string ParentSpanId, string Name, int Kind)
{
    public const int KindInternal = 1;
    public const int KindServer = 2;
    public const int KindClient = 3;

    /// <summary>The spans of an <c>ExportTraceServiceRequest</c>.</summary>
    public static IReadOnlyList<OtlpSpan> Parse(byte[] export)
    {
        var spans = new List<OtlpSpan>();
        // ExportTraceServiceRequest: 1 = ResourceSpans.
        foreach (var resourceSpans in Fields(export, 1))
        {
            // ResourceSpans: 1 = Resource, 2 = ScopeSpans.
            var service = Fields(resourceSpans, 1).SelectMany(r => Fields(r, 1)).Select(Attribute)
                .FirstOrDefault(a => a.Key == "service.name").Value ?? "";
            foreach (var scopeSpans in Fields(resourceSpans, 2))
            {
                // ScopeSpans: 1 = InstrumentationScope (1 = name), 2 = Span.
                var scope = Fields(scopeSpans, 1).SelectMany(s => Fields(s, 1)).Select(b => System.Text.Encoding.UTF8.GetString(b)).FirstOrDefault() ?? "";
                foreach (var span in Fields(scopeSpans, 2))
                {
                    spans.Add(ParseSpan(service, scope, span));
                }
            }
        }

        return spans;
    }

    private static OtlpSpan ParseSpan(string service, string scope, byte[] span)
    {
        string traceId = "", spanId = "", parent = "", name = "";
        var kind = 0;
        var input = new CodedInputStream(span);
        while (input.ReadTag() is var tag and not 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: traceId = Convert.ToHexStringLower(input.ReadBytes().Span); break;
                case 2: spanId = Convert.ToHexStringLower(input.ReadBytes().Span); break;
                case 4: parent = Convert.ToHexStringLower(input.ReadBytes().Span); break;
                case 5: name = input.ReadString(); break;
                case 6: kind = input.ReadEnum(); break;
                default: input.SkipLastField(); break;
            }
        }

        return new OtlpSpan(service, scope, traceId, spanId, parent, name, kind);
    }

    /// <summary>A <c>KeyValue</c> whose value is a string (1 = key, 2 = AnyValue with 1 = string_value).</summary>
    private static KeyValuePair<string, string?> Attribute(byte[] keyValue)
    {
        var key = Fields(keyValue, 1).Select(b => System.Text.Encoding.UTF8.GetString(b)).FirstOrDefault() ?? "";
        var value = Fields(keyValue, 2).SelectMany(v => Fields(v, 1)).Select(b => System.Text.Encoding.UTF8.GetString(b)).FirstOrDefault();
        return new(key, value);
    }

    /// <summary>The length-delimited fields numbered <paramref name="number"/> of a message.</summary>
    private static IEnumerable<byte[]> Fields(byte[] message, int number)
    {
        var found = new List<byte[]>();
        var input = new CodedInputStream(message);
        while (input.ReadTag() is var tag and not 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == number && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                found.Add(input.ReadBytes().ToByteArray());
            }
            else
            {
                input.SkipLastField();
            }
        }

        return found;
    }
}

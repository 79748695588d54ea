using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>
/// Writes the objects of one <c>/api/generate</c> or <c>/api/chat</c> answer, each a line of NDJSON: the pieces of
/// text (<c>response</c>, or the assistant's <c>message</c>), then the closing object with <c>done_reason</c> and the
/// counts; or all of it as one object for <c>stream: false</c>. Written field by field: a chunk per token is the hot path.
/// </summary>
internal sealed class OllamaChunkWriter(string model, bool chat)
{
    /// <summary>Text stays as UTF-8 instead of <c>\u00e9</c> escapes, which only matter for JSON embedded in HTML.</summary>
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly JsonEncodedText ModelName = JsonEncodedText.Encode("model");
    private static readonly JsonEncodedText CreatedAt = JsonEncodedText.Encode("created_at");
    private static readonly JsonEncodedText Response = JsonEncodedText.Encode("response");
    private static readonly JsonEncodedText Message = JsonEncodedText.Encode("message");
    private static readonly JsonEncodedText Role = JsonEncodedText.Encode("role");
    private static readonly JsonEncodedText Assistant = JsonEncodedText.Encode("assistant");
    private static readonly JsonEncodedText Content = JsonEncodedText.Encode("content");
    private static readonly JsonEncodedText Done = JsonEncodedText.Encode("done");
    private static readonly JsonEncodedText DoneReason = JsonEncodedText.Encode("done_reason");
    private static readonly JsonEncodedText ToolCallsName = JsonEncodedText.Encode("tool_calls");
    private static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText Function = JsonEncodedText.Encode("function");
    private static readonly JsonEncodedText Index = JsonEncodedText.Encode("index");
    private static readonly JsonEncodedText Name = JsonEncodedText.Encode("name");
    private static readonly JsonEncodedText Arguments = JsonEncodedText.Encode("arguments");

    private readonly JsonEncodedText _model = JsonEncodedText.Encode(model, Options.Encoder);

    private Utf8JsonWriter? _writer;

    /// <summary>A piece of the answer's text, not yet done.</summary>
    public void Piece(IBufferWriter<byte> output, string text)
    {
        var writer = Start(output, text);
        writer.WriteBoolean(Done, false);
        End(writer, output);
    }

    /// <summary>Whole tool calls of the answer, not yet done; each call's arguments are complete JSON.</summary>
    public void Calls(IBufferWriter<byte> output, IReadOnlyList<ToolCall> calls)
    {
        var writer = Start(output, "", calls);
        writer.WriteBoolean(Done, false);
        End(writer, output);
    }

    /// <summary>The closing object: the rest of the text (all of it for a whole answer), its calls, done, and the counts.</summary>
    public void Final(IBufferWriter<byte> output, string text, OllamaStats stats, IReadOnlyList<ToolCall>? calls = null)
    {
        var writer = Start(output, text, calls);
        writer.WriteBoolean(Done, true);
        writer.WriteString(DoneReason, stats.DoneReason);
        writer.WriteNumber("total_duration", stats.TotalNs);
        writer.WriteNumber("load_duration", stats.LoadNs);
        writer.WriteNumber("prompt_eval_count", stats.PromptEvalCount);
        writer.WriteNumber("prompt_eval_duration", stats.PromptEvalNs);
        writer.WriteNumber("eval_count", stats.EvalCount);
        writer.WriteNumber("eval_duration", stats.EvalNs);
        End(writer, output);
    }

    /// <summary>The answer to a request with nothing to generate: the model is ready (Ollama's <c>done_reason</c> "load").</summary>
    public void Loaded(IBufferWriter<byte> output)
    {
        var writer = Start(output, "");
        writer.WriteBoolean(Done, true);
        writer.WriteString(DoneReason, "load");
        End(writer, output);
    }

    private Utf8JsonWriter Start(IBufferWriter<byte> output, string text, IReadOnlyList<ToolCall>? calls = null)
    {
        var writer = _writer ??= new Utf8JsonWriter(output, Options);
        writer.Reset(output);
        writer.WriteStartObject();
        writer.WriteString(ModelName, _model);
        writer.WriteString(CreatedAt, DateTime.UtcNow);
        if (chat)
        {
            writer.WriteStartObject(Message);
            writer.WriteString(Role, Assistant);
            writer.WriteString(Content, text);
            if (calls is { Count: > 0 })
            {
                WriteCalls(writer, calls);
            }

            writer.WriteEndObject();
        }
        else
        {
            writer.WriteString(Response, text);
        }

        return writer;
    }

    private static void WriteCalls(Utf8JsonWriter writer, IReadOnlyList<ToolCall> calls)
    {
        writer.WriteStartArray(ToolCallsName);
        foreach (var call in calls)
        {
            writer.WriteStartObject();
            writer.WriteString(Id, call.Id);
            writer.WriteStartObject(Function);
            writer.WriteNumber(Index, call.Index);
            writer.WriteString(Name, call.Name);
            writer.WritePropertyName(Arguments);
            // Rewritten compact: the grammar lets a model break lines between tokens, and an NDJSON line must not break.
            // OllamaToolCalls passes only arguments that parse.
            using (var arguments = JsonDocument.Parse(call.Arguments))
            {
                arguments.RootElement.WriteTo(writer);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void End(Utf8JsonWriter writer, IBufferWriter<byte> output)
    {
        writer.WriteEndObject();
        writer.Flush();
        output.Write("\n"u8);
    }
}

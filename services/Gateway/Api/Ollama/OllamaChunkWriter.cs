using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

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

    private readonly JsonEncodedText _model = JsonEncodedText.Encode(model, Options.Encoder);

    private Utf8JsonWriter? _writer;

    /// <summary>A piece of the answer's text, not yet done.</summary>
    public void Piece(IBufferWriter<byte> output, string text)
    {
        var writer = Start(output, text);
        writer.WriteBoolean(Done, false);
        End(writer, output);
    }

    /// <summary>The closing object: the rest of the text (all of it for a whole answer), done, and the counts.</summary>
    public void Final(IBufferWriter<byte> output, string text, OllamaStats stats)
    {
        var writer = Start(output, text);
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

    private Utf8JsonWriter Start(IBufferWriter<byte> output, string text)
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
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteString(Response, text);
        }

        return writer;
    }

    private static void End(Utf8JsonWriter writer, IBufferWriter<byte> output)
    {
        writer.WriteEndObject();
        writer.Flush();
        output.Write("\n"u8);
    }
}

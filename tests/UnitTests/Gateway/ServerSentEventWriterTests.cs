using System.IO.Pipelines;
using System.Text;
using SlmCluster.Gateway.Api.OpenAi;

namespace SlmCluster.UnitTests.Gateway;

public sealed class ServerSentEventWriterTests
{
    [Fact]
    public void An_event_is_one_data_line_and_a_blank_line()
    {
        Assert.Equal("data: {\"a\":1}\n\n", Encoding.UTF8.GetString(ServerSentEventWriter.Format("{\"a\":1}"u8)));
    }

    [Fact]
    public void An_error_event_is_named_so_clients_can_tell_it_from_a_chunk()
    {
        Assert.Equal("event: error\ndata: {\"error\":{}}\n\n", Encoding.UTF8.GetString(ServerSentEventWriter.Format("{\"error\":{}}"u8, isError: true)));
    }

    [Fact]
    public async Task A_stream_is_its_events_in_order_then_DONE()
    {
        var pipe = new Pipe();
        var writer = new ServerSentEventWriter(pipe.Writer);

        await writer.WriteAsync("{\"n\":1}"u8.ToArray(), CancellationToken.None);
        await writer.WriteAsync("{\"n\":2}"u8.ToArray(), CancellationToken.None);
        await writer.WriteDoneAsync(CancellationToken.None);
        await pipe.Writer.CompleteAsync();

        var text = Encoding.UTF8.GetString((await pipe.Reader.ReadAtLeastAsync(int.MaxValue)).Buffer);
        Assert.Equal("data: {\"n\":1}\n\ndata: {\"n\":2}\n\ndata: [DONE]\n\n", text);
    }

    [Fact]
    public void Text_with_newlines_stays_on_one_data_line_because_JSON_escapes_them()
    {
        var chunk = new TextCompletionFormatter("cmpl-1", 1, "m").Piece("line one\nline two\r\n");

        var frame = Encoding.UTF8.GetString(ServerSentEventWriter.Format(chunk));

        Assert.Equal(2, frame.Count(c => c == '\n'));
        Assert.EndsWith("\n\n", frame);
        Assert.DoesNotContain('\r', frame);
    }
}

using System.Buffers;
using System.IO.Pipelines;
using Google.Protobuf;
using SlmCluster.Grpc;
using SlmCluster.Grpc.Protocol;
using SlmCluster.Protocol.V1;
using Xunit;

namespace SlmCluster.UnitTests.Grpc;

public sealed class LengthPrefixedMessageTests
{
    private const int Limit = 1024 * 1024;

    [Fact]
    public async Task Written_message_reads_back_with_a_five_byte_big_endian_header()
    {
        var pipe = new Pipe();
        var chunk = new GenerateChunk { Text = "hello" };

        GrpcMessageWriter.Write(pipe.Writer, chunk, Limit);
        await pipe.Writer.CompleteAsync();

        var bytes = (await pipe.Reader.ReadAsync()).Buffer.ToArray();
        var size = chunk.CalculateSize();
        Assert.Equal(new byte[] { 0, 0, 0, 0, (byte)size }, bytes[..5]);
        Assert.Equal(chunk, GenerateChunk.Parser.ParseFrom(bytes[5..]));
    }

    [Fact]
    public async Task Messages_are_read_in_order_then_the_end_of_the_stream_reads_as_null()
    {
        var pipe = new Pipe();
        GrpcMessageWriter.Write(pipe.Writer, new GenerateChunk { Text = "a" }, Limit);
        GrpcMessageWriter.Write(pipe.Writer, new GenerateChunk { Text = "b" }, Limit);
        await pipe.Writer.CompleteAsync();

        var first = await GrpcMessageReader.ReadMessageAsync(pipe.Reader, GenerateChunk.Parser, Limit, default);
        var second = await GrpcMessageReader.ReadMessageAsync(pipe.Reader, GenerateChunk.Parser, Limit, default);
        var end = await GrpcMessageReader.ReadMessageAsync(pipe.Reader, GenerateChunk.Parser, Limit, default);

        Assert.Equal("a", first!.Text);
        Assert.Equal("b", second!.Text);
        Assert.Null(end);
    }

    [Fact]
    public async Task Message_split_across_many_reads_is_reassembled()
    {
        var frame = Frame(new GenerateChunk { Text = new string('x', 300) });
        var pipe = new Pipe();

        var read = GrpcMessageReader.ReadMessageAsync(pipe.Reader, GenerateChunk.Parser, Limit, default).AsTask();
        foreach (var b in frame)
        {
            await pipe.Writer.WriteAsync(new[] { b });
            Assert.False(read.IsCompleted);
        }

        var message = await read.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(300, message!.Text.Length);
    }

    [Fact]
    public async Task Large_message_written_across_buffer_segments_round_trips()
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var chunk = new GenerateChunk { Text = new string('y', 100_000) };

        GrpcMessageWriter.Write(pipe.Writer, chunk, Limit);
        await pipe.Writer.CompleteAsync();

        var message = await GrpcMessageReader.ReadMessageAsync(pipe.Reader, GenerateChunk.Parser, Limit, default);
        Assert.Equal(chunk, message);
    }

    [Fact]
    public async Task Stream_ending_inside_a_message_fails_with_internal()
    {
        var frame = Frame(new GenerateChunk { Text = "truncated" });

        var error = await Assert.ThrowsAsync<RpcException>(() => ReadAsync(frame[..^3]));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("incomplete", error.Detail);
    }

    [Fact]
    public async Task Stream_ending_inside_a_header_fails_with_internal()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => ReadAsync([0, 0, 0]));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }

    [Fact]
    public async Task Message_over_the_size_limit_is_refused_with_resource_exhausted()
    {
        var frame = Frame(new GenerateChunk { Text = new string('z', 200) });

        var error = await Assert.ThrowsAsync<RpcException>(() => ReadAsync(frame, maxMessageSize: 100));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task Oversize_length_is_refused_from_the_header_alone_without_waiting_for_the_body()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(new byte[] { 0, 0x7F, 0xFF, 0xFF, 0xFF });

        var read = GrpcMessageReader.ReadMessageAsync(pipe.Reader, GenerateChunk.Parser, Limit, default).AsTask();

        var error = await Assert.ThrowsAsync<RpcException>(() => read.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public void Message_over_the_send_limit_is_not_written()
    {
        var pipe = new Pipe();

        var error = Assert.Throws<RpcException>(() => GrpcMessageWriter.Write(pipe.Writer, new GenerateChunk { Text = new string('z', 200) }, 100));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(0, pipe.Writer.UnflushedBytes);
    }

    [Fact]
    public async Task Compressed_flag_without_a_negotiated_encoding_fails_with_internal()
    {
        var frame = Frame(new GenerateChunk { Text = "gz" });
        frame[0] = 1;

        var error = await Assert.ThrowsAsync<RpcException>(() => ReadAsync(frame));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("compress", error.Detail);
    }

    [Fact]
    public async Task Bytes_that_are_not_the_expected_message_fail_with_internal()
    {
        byte[] frame = [0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF];

        var error = await Assert.ThrowsAsync<RpcException>(() => ReadAsync(frame));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains(nameof(GenerateChunk), error.Detail);
    }

    private static byte[] Frame(IMessage message)
    {
        var writer = new ArrayBufferWriter<byte>();
        GrpcMessageWriter.Write(writer, message, int.MaxValue);
        return writer.WrittenSpan.ToArray();
    }

    private static async Task<GenerateChunk?> ReadAsync(byte[] bytes, int maxMessageSize = Limit)
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(bytes);
        await pipe.Writer.CompleteAsync();
        return await GrpcMessageReader.ReadMessageAsync(pipe.Reader, GenerateChunk.Parser, maxMessageSize, default);
    }
}

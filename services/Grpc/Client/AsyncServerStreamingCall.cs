using System.Runtime.CompilerServices;
using Google.Protobuf;
using SlmCluster.Grpc.Client;

namespace SlmCluster.Grpc;

/// <summary>
/// A server-streaming call in flight. Read it with <see cref="ReadAllAsync"/>; disposing it before the end
/// cancels the call and resets its HTTP/2 stream.
/// </summary>
public sealed class AsyncServerStreamingCall<T> : IAsyncDisposable
    where T : IMessage<T>
{
    private readonly GrpcClientCall<T> _call;

    internal AsyncServerStreamingCall(GrpcClientCall<T> call, Task<Metadata> responseHeaders)
    {
        _call = call;
        ResponseHeadersAsync = responseHeaders;

        // A failure reaches the caller through ReadAllAsync; this keeps it from also surfacing as unobserved.
        responseHeaders.ContinueWith(
            static task => _ = task.Exception,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>The response headers; faults with <see cref="RpcException"/> when the call fails before any arrive.</summary>
    public Task<Metadata> ResponseHeadersAsync { get; }

    /// <summary>
    /// Yields messages as they arrive. Ends when the call ends with OK; throws <see cref="RpcException"/> otherwise.
    /// Cancelling <paramref name="cancellationToken"/> cancels the call.
    /// </summary>
    public async IAsyncEnumerable<T> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var registration = cancellationToken.UnsafeRegister(static state => ((GrpcClientCall<T>)state!).Cancel(), _call);

        await ResponseHeadersAsync.ConfigureAwait(false);
        while (await _call.ReadNextAsync().ConfigureAwait(false) is { } message)
        {
            yield return message;
        }
    }

    /// <summary>The trailers the call ended with; available once the stream has been read to its end.</summary>
    public Metadata GetTrailers() => _call.GetTrailers();

    public ValueTask DisposeAsync()
    {
        _call.Dispose();
        return ValueTask.CompletedTask;
    }
}

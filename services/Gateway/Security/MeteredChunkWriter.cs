using Grpc.Core;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Security;

/// <summary>Passes chunks through to the client while noting what the stream used, for the tenant's token budget.</summary>
internal sealed class MeteredChunkWriter(IServerStreamWriter<GenerateChunk> inner) : IServerStreamWriter<GenerateChunk>
{
    public int Chunks { get; private set; }

    public WriteOptions? WriteOptions
    {
        get => inner.WriteOptions;
        set => inner.WriteOptions = value;
    }

    public Usage? Usage { get; private set; }

    public Task WriteAsync(GenerateChunk message) => WriteAsync(message, CancellationToken.None);

    public Task WriteAsync(GenerateChunk message, CancellationToken cancellationToken)
    {
        Chunks++;
        Usage = message.Usage ?? Usage;
        return inner.WriteAsync(message, cancellationToken);
    }
}

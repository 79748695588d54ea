namespace SlmCluster.Grpc.Transport;

/// <summary>A request body that can hand itself over whole, sparing the h2c handler a copy through a stream.</summary>
internal interface IHttp2BufferedContent
{
    byte[] Serialize();
}

using SlmCluster.AppHost.Hosting;
using SlmCluster.AppHost.Orchestration;

namespace Projects;

/// <summary>services/Gateway: the front door (gRPC and the OpenAI HTTP API).</summary>
internal sealed class Gateway : IProjectMetadata
{
    public string AssemblyPath => BuildOutput.Assembly("GatewayAssembly");

    public string ConfigSection => "Gateway";

    public string Dockerfile => "gateway.Dockerfile";
}

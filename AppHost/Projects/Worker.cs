using SlmCluster.AppHost.Hosting;
using SlmCluster.AppHost.Orchestration;

namespace Projects;

/// <summary>services/Worker: one model instance on one device.</summary>
internal sealed class Worker : IProjectMetadata
{
    public string AssemblyPath => BuildOutput.Assembly("WorkerAssembly");

    public string ConfigSection => "Worker";

    public string Dockerfile => "worker.Dockerfile";
}

using SlmCluster.AppHost.Orchestration;
using SlmCluster.AppHost.Publishing;

namespace SlmCluster.AppHost.Hosting;

/// <summary>The described cluster and its two back ends: run it on this machine, or publish it for Kubernetes.</summary>
internal sealed class DistributedApplication(DistributedApplicationModel model, AppHostOptions options)
{
    public DistributedApplicationModel Model { get; } = model;

    /// <summary>Parses the command line; false with a message (the usage, or what was wrong) when it cannot.</summary>
    public static bool TryCreateBuilder(string[] args, out DistributedApplicationBuilder builder, out string? error)
    {
        var options = AppHostOptions.Parse(args, out error);
        builder = new DistributedApplicationBuilder(options ?? new AppHostOptions());
        return options is not null;
    }

    /// <summary>Runs or publishes; returns the process exit code.</summary>
    public Task<int> RunAsync() => options.Command switch
    {
        "publish" => ApplicationModelAdapter.PublishAsync(Model, options, CancellationToken.None),
        _ => new LocalRun(Model, options).RunAsync(),
    };
}

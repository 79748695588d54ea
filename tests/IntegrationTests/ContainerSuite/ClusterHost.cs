using System.Globalization;
using DotNet.Testcontainers.Containers;

namespace SlmCluster.IntegrationTests.ContainerSuite;

/// <summary>
/// One host of the container cluster: a container with its own name, address and aliases on the cluster's network,
/// and the faults a real host meets, dealt to it by the Docker engine.
/// </summary>
internal sealed class ClusterHost(IContainer container, string name, string network, string address, IReadOnlyList<string> aliases, int? httpHostPort)
    : IAsyncDisposable
{
    public IContainer Container { get; } = container;

    /// <summary>Its host name, and the pod name the manifests' <c>$(POD_NAME)</c> takes (the worker's id).</summary>
    public string Name { get; } = name;

    /// <summary>Its address on the cluster's network, kept across a cut (a reconnected host comes back at it).</summary>
    public string Address { get; } = address;

    /// <summary>The host port its HTTP port is published on, if it is.</summary>
    public int? HttpHostPort { get; } = httpHostPort;

    /// <summary>Its network cable pulled: no packet reaches it or leaves it, and no connection is closed.</summary>
    public Task CutAsync() => DockerCli.RunAsync("network", "disconnect", network, Container.Id);

    /// <summary>The cable back in, at the same address and with the same names.</summary>
    public Task ReconnectAsync()
    {
        List<string> arguments = ["network", "connect", "--ip", Address];
        foreach (var alias in aliases)
        {
            arguments.AddRange(["--alias", alias]);
        }

        return DockerCli.RunAsync([.. arguments, network, Container.Id]);
    }

    /// <summary>Frozen: its processes stop, its connections stay open and unanswered.</summary>
    /// <remarks>
    /// The engine freezes the container's cgroup (v1 here); with its threads busy on a loaded machine the freezer can
    /// give up ("unable to freeze", the container left running), so the freeze is asked for again.
    /// </remarks>
    public async Task PauseAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Container.PauseAsync();
                return;
            }
            catch (Docker.DotNet.DockerApiException e) when (attempt < 10 && e.Message.Contains("unable to freeze", StringComparison.Ordinal))
            {
                await Task.Delay(100);
            }
        }
    }

    public Task UnpauseAsync() => Container.UnpauseAsync();

    /// <summary>SIGKILL: the host is lost, as a machine that loses power (a paused one too).</summary>
    public Task KillAsync() => DockerCli.RunAsync("kill", Container.Id);

    /// <summary>The same container started again, at the same address and published ports.</summary>
    public Task StartAsync() => Container.StartAsync();

    public async Task<string> LogsAsync()
    {
        var (stdout, stderr) = await Container.GetLogsAsync();
        return stdout + stderr;
    }

    public async ValueTask DisposeAsync() => await Container.DisposeAsync();

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name} ({Address})");
}

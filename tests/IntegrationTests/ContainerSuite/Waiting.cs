using System.Diagnostics;

namespace SlmCluster.IntegrationTests.ContainerSuite;

/// <summary>How the container suite waits on the cluster: a condition polled against a deadline, timed.</summary>
internal static class Waiting
{
    /// <summary>Polls <paramref name="condition"/> until it holds; returns how long that took.</summary>
    public static async Task<TimeSpan> UntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < timeout, $"condition not met within {timeout.TotalSeconds} s");
            await Task.Delay(50);
        }

        return watch.Elapsed;
    }

    /// <summary>How many times the engine has started the container again after its process exited.</summary>
    public static async Task<string> RestartCountAsync(ClusterHost host)
    {
        var psi = new ProcessStartInfo("docker", ["inspect", "--format", "{{.RestartCount}}", host.Container.Id]) { RedirectStandardOutput = true };
        using var process = Process.Start(psi)!;
        var text = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return text.Trim();
    }
}

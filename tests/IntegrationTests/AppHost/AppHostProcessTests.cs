using System.Diagnostics;
using Microsoft.Playwright;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Settings;

namespace SlmCluster.IntegrationTests.AppHost;

/// <summary><c>dotnet run --project AppHost</c> as a user runs it: Aspire's orchestrator, real processes, real signals.</summary>
public sealed class AppHostProcessTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    [Theory]
    [InlineData(Signals.SigInt)] // as Ctrl-C sends it
    [InlineData(Signals.SigTerm)] // as an orchestrator stops it
    public async Task Ctrl_C_or_SIGTERM_stops_every_process_of_the_cluster(int signal)
    {
        await using var host = AppHostProcess.Start("--workers", "2", "--threads", "1");
        await host.WaitServingAsync(StartTimeout);
        var children = host.ChildPids();
        Assert.True(children.Length >= 4, $"expected Redis, two workers and the gateway, found {children.Length} processes");

        Signals.Send(host.Process.Id, signal);
        await host.WaitForExitAsync(TimeSpan.FromSeconds(60));

        await AssertAllGoneAsync(children);
    }

    [Fact]
    public async Task Ctrl_C_returns_once_an_idle_default_cluster_is_gone_within_5_s_and_an_AppHost_started_at_once_serves_on_the_same_ports()
    {
        // The local defaults: both test models, a worker each, the cascade over them.
        string[] defaults = ["--model", "stories260K.gguf", "--model", "tinystories-656k-q8_0.gguf", "--threads", "1"];
        AppHostPorts ports;
        await using (var first = AppHostProcess.Start(defaults))
        {
            ports = first.Ports;
            await first.WaitServingAsync(StartTimeout);
            var cluster = first.ChildPids();
            Assert.True(cluster.Length >= 3, $"expected the gateway and two workers, found {cluster.Length} processes");

            var signalled = Stopwatch.StartNew();
            Signals.Send(first.Process.Id, Signals.SigInt);
            var exited = first.WaitForExitAsync(TimeSpan.FromSeconds(60));
            while (cluster.Any(ProcessTable.IsRunning) && signalled.Elapsed < TimeSpan.FromSeconds(5))
            {
                var returned = first.Process.HasExited;
                Assert.False(returned && cluster.Any(ProcessTable.IsRunning), "the AppHost returned while processes of its cluster still ran");
                await Task.Delay(50);
            }

            Assert.All(cluster, pid => Assert.False(ProcessTable.IsRunning(pid), $"process {pid} of the cluster still runs {signalled.Elapsed.TotalSeconds:F1} s after Ctrl-C"));
            await exited;
        }

        // At once, on the same ports: the gateway's and the dashboard's.
        await using var second = AppHostProcess.Start(ports, new Dictionary<string, string>(), defaults);
        await second.WaitServingAsync(StartTimeout);
    }

    [Fact]
    public async Task The_cluster_goes_when_the_AppHost_is_killed()
    {
        await using var host = AppHostProcess.Start("--workers", "1", "--threads", "1");
        await host.WaitServingAsync(StartTimeout);
        var children = host.ChildPids();

        host.Process.Kill(); // SIGKILL: the AppHost gets no chance to stop anything

        await AssertAllGoneAsync(children);
    }

    [Fact]
    public async Task Cuda_workers_on_a_machine_without_a_GPU_fail_at_start_with_a_clear_message()
    {
        if (Directory.Exists("/proc/driver/nvidia/gpus"))
        {
            return; // this machine has the GPUs the behaviour is about the absence of
        }

        await using var host = AppHostProcess.Start("--device", ClusterSettings.Devices.Cuda, "--workers", "1");
        var exitCode = await host.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, exitCode);
        Assert.Contains("--device cuda needs an NVIDIA GPU", host.Output);
        Assert.Contains("--device cpu", host.Output);
    }

    [Fact]
    public async Task The_Aspire_dashboard_shows_every_resource_of_the_cluster()
    {
        await using var host = AppHostProcess.Start("--workers", "1", "--threads", "1");
        await host.WaitServingAsync(StartTimeout);
        Assert.True(host.DashboardLogin is not null, "the AppHost printed no dashboard login link:\n" + host.Output);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await HeadlessChromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1600, Height = 1000 } });
        page.SetDefaultTimeout(30_000);

        // The link logs in and lands on the resources page, which the browser renders by script (Blazor over a
        // websocket): wait for the resources to be listed, not for the page load.
        var screenshot = Path.Combine(TestPaths.RepoRoot, "tests", "IntegrationTests", "TestResults", "aspire-dashboard.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.GotoAsync(host.DashboardLogin!.ToString());
        try
        {
            foreach (var resource in new[] { "gateway", "worker", ClusterSettings.RedisName, "model" })
            {
                await page.GetByText(resource, new PageGetByTextOptions { Exact = true }).First.WaitForAsync();
            }

            // Every resource's state reads Running: four visible "Running" cells (the filter menu holds hidden ones).
            var running = page.GetByText("Running", new PageGetByTextOptions { Exact = true }).Locator("visible=true");
            await running.Nth(3).WaitForAsync();
        }
        finally
        {
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot });
        }
    }

    private static async Task AssertAllGoneAsync(int[] children)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (children.Any(ProcessTable.IsRunning) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.All(children, pid => Assert.False(ProcessTable.IsRunning(pid), $"process {pid} of the cluster is still running"));
    }
}

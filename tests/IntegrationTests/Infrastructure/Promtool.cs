using System.Diagnostics;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>Runs Prometheus' <c>promtool</c> (Debian package prometheus) and returns its exit code and output.</summary>
internal static class Promtool
{
    public static async Task<(int ExitCode, string Output)> RunAsync(string? standardInput, params string[] arguments)
    {
        var info = new ProcessStartInfo("promtool")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("promtool is not installed: ./build.sh test installs the Debian package prometheus", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (standardInput is not null)
            {
                await process.StandardInput.WriteAsync(standardInput);
            }

            process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await stdout + await stderr);
        }
    }
}

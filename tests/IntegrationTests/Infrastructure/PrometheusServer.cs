using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>
/// A real Prometheus server (the Debian package's binary) on a free loopback port with its storage in a temporary
/// folder, scraping the given targets every second; killed and its folder removed on dispose.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _directory;
    private readonly HttpClient _http;
    private readonly StringBuilder _output = new();

    private PrometheusServer(Process process, DirectoryInfo directory, Uri address)
    {
        _process = process;
        _directory = directory;
        Address = address;
        _http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri Address { get; }

    /// <param name="targets">Jobs and the base HTTP address of the service each scrapes (<c>/metrics</c>).</param>
    public static async Task<PrometheusServer> StartAsync(IEnumerable<(string Job, Uri Target)> targets)
    {
        var directory = Directory.CreateTempSubdirectory("slm-prometheus-");
        var config = new StringBuilder("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n");
        foreach (var (job, target) in targets)
        {
            config.Append(CultureInfo.InvariantCulture, $"  - job_name: {job}\n    static_configs:\n      - targets: [\"{target.Authority}\"]\n");
        }

        var configPath = Path.Combine(directory.FullName, "prometheus.yml");
        await File.WriteAllTextAsync(configPath, config.ToString());
        var port = ServiceProcess.FreePort();
        var info = new ProcessStartInfo("prometheus") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            $"--config.file={configPath}",
            $"--storage.tsdb.path={Path.Combine(directory.FullName, "data")}",
            $"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        })
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
            directory.Delete(recursive: true);
            throw new InvalidOperationException("prometheus is not installed: ./build.sh test installs the Debian package prometheus", e);
        }

        var server = new PrometheusServer(process, directory, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => server.Log(e.Data);
        process.ErrorDataReceived += (_, e) => server.Log(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await server.WaitReadyAsync();
        return server;
    }

    /// <summary>Runs an instant query and returns its result vector (<c>data.result</c>).</summary>
    public async Task<JsonElement> QueryAsync(string promql)
    {
        using var response = await _http.GetAsync("api/v1/query?query=" + Uri.EscapeDataString(promql));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"Prometheus answered {(int)response.StatusCode} to {promql}: {body}");
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("data").GetProperty("result").Clone();
    }

    /// <summary>Polls <paramref name="promql"/> until its first sample's value satisfies <paramref name="until"/>; returns that value.</summary>
    public async Task<double> WaitForValueAsync(string promql, Func<double, bool> until, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "no samples";
        while (true)
        {
            var result = await QueryAsync(promql);
            if (result.GetArrayLength() > 0)
            {
                var value = double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
                if (until(value))
                {
                    return value;
                }

                last = value.ToString(CultureInfo.InvariantCulture);
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Prometheus query {promql} did not reach the expected value within {timeout.TotalSeconds} s (last: {last}).\n{Output}");
            }

            await Task.Delay(250);
        }
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private void Log(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private async Task WaitReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with code {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await _http.GetAsync("-/ready");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"prometheus did not become ready:\n{Output}");
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Best effort: it is a temporary folder.
        }
    }
}

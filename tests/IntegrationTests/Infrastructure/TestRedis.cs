using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>
/// A real redis-server (Debian's) for one test cluster: its membership, worker grain directory and response cache.
/// A free loopback port, a generated password, nothing written to disk unless asked to be durable; killed on dispose.
/// A shell beside it stops it when the test process dies without disposing it.
/// </summary>
internal sealed class TestRedis : IAsyncDisposable
{
    // The server goes when the test run goes (even after a SIGKILL): the shell polls the test process.
    private const string Watchdog = """
        "$0" "$@" & server=$!
        trap 'kill -9 $server 2>/dev/null; exit 0' TERM INT
        while kill -0 "$SLM_PARENT_PID" 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 0.5; done
        kill -9 $server 2>/dev/null
        """;

    private readonly StringBuilder _log = new();
    private Process? _process;

    private readonly string? _dataDirectory;

    private TestRedis(int port, string password, string? dataDirectory)
    {
        Port = port;
        Password = password;
        _dataDirectory = dataDirectory;
    }

    public int Port { get; }

    public string Password { get; }

    /// <summary>As services take it in <c>ConnectionStrings:cache</c>.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},password={Password}";

    /// <param name="durable">
    /// An append-only file in a directory of its own, every write on disk before it is answered (the product's
    /// <c>everysec</c> may lose the last second to a SIGKILL; a test must not depend on that second): a restarted server
    /// comes back with what it held, as the product's Redis does.
    /// </param>
    public static async Task<TestRedis> StartAsync(bool durable = false)
    {
        var dataDirectory = durable ? Directory.CreateTempSubdirectory("slm-test-redis-").FullName : null;
        var redis = new TestRedis(ServiceProcess.FreePort(), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), dataDirectory);
        await redis.RestartAsync();
        return redis;
    }

    /// <summary>
    /// Starts the server on its port: empty, as after a crash of a Redis without persistence, or, when durable, with
    /// everything it had written.
    /// </summary>
    public async Task RestartAsync()
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException($"Redis on port {Port} is running already.");
        }

        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] persistence = _dataDirectory is null
            ? ["--appendonly", "no"]
            : ["--appendonly", "yes", "--appendfsync", "always", "--dir", _dataDirectory];
        foreach (var argument in (string[])["-c", Watchdog, "redis-server", "--port", Port.ToString(CultureInfo.InvariantCulture),
                     "--bind", "127.0.0.1", "--requirepass", Password, "--save", "", .. persistence, "--loglevel", "warning"])
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["SLM_PARENT_PID"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        _process?.Dispose();
        var process = _process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Log(e.Data);
        process.ErrorDataReceived += (_, e) => Log(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await CommandAsync("PING") != "+PONG")
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"redis-server did not start on port {Port} (is Debian's redis-server installed?):\n{_log}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>SIGKILL: Redis is gone, with everything it held, and its port refuses connections until <see cref="RestartAsync"/>.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>Commands sent to this Redis behind the services' backs.</summary>
    public RedisCommands Commands => new("127.0.0.1", Port, Password);

    public Task<string?> CommandAsync(params string[] command) => Commands.CommandAsync(command);

    public Task<long> CountKeysAsync(string pattern) => Commands.CountKeysAsync(pattern);

    public Task<long> CommandCallsAsync(string command) => Commands.CommandCallsAsync(command);

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        if (_dataDirectory is not null)
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    private void Log(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace SlmCluster.Testing;

/// <summary>
/// Debian's <c>redis-server</c> as a throwaway process for the tests and the bench: a free loopback port, a generated
/// password, nothing written to disk unless asked to be durable. A shell beside it stops it when the process that
/// started it dies without stopping it (even after a SIGKILL), since redis-server cannot watch its parent as our
/// services do. One source file, linked into the grain tests, the integration tests and the bench; the AppHost runs
/// its own Redis as an Aspire resource (AppHost.Hosting/Redis).
/// </summary>
public sealed class LocalRedisServer : IAsyncDisposable
{
    // "$0" "$@" is the launcher and server command line. SIGTERM to the shell stops the server gracefully.
    private const string Watchdog = """
        "$0" "$@" & server=$!
        trap 'kill $server 2>/dev/null; wait $server; exit 0' TERM INT
        while kill -0 "$SLM_PARENT_PID" 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 0.5; done
        kill -9 $server 2>/dev/null
        """;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);
    private readonly LocalRedisOptions _options;
    private readonly string? _dataDirectory;
    private readonly StringBuilder _log = new();
    private Process? _process;

    private LocalRedisServer(int port, LocalRedisOptions options)
    {
        Port = port;
        Password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _options = options;
        _dataDirectory = options.Durable ? Directory.CreateTempSubdirectory("slm-test-redis-").FullName : null;
    }

    public static bool IsInstalled => FindOnPath("redis-server") is not null;

    public int Port { get; }

    public string Password { get; }

    /// <summary>As services take it in <c>ConnectionStrings:redis</c>.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},password={Password}";

    /// <summary>The watchdog shell's process id (the server is its child).</summary>
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("Redis has not been started.");

    /// <summary>What the server wrote (warnings and errors only).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Starts a server and returns once it answers PING; on a port taken meanwhile, tries another.</summary>
    public static async Task<LocalRedisServer> StartAsync(LocalRedisOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LocalRedisOptions();
        for (var attempt = 1; ; attempt++)
        {
            var server = new LocalRedisServer(FreePort(), options);
            try
            {
                await server.RestartAsync(cancellationToken);
                return server;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                // Another process took the free port between the probe and the start.
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Starts the server on its port: empty, as after a crash of a Redis without persistence, or, when durable, with
    /// everything it had written.
    /// </summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException($"Redis on port {Port} is running already.");
        }

        var redis = FindOnPath("redis-server")
            ?? throw new InvalidOperationException("redis-server is not installed (apt-get install redis-server, or ./build.sh once).");
        string[] persistence = _dataDirectory is null
            ? ["--appendonly", "no"]
            // Every write on disk before it is answered: a test must not depend on the last second a SIGKILL may lose.
            : ["--appendonly", "yes", "--appendfsync", "always", "--dir", _dataDirectory];
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in (string[])["-c", Watchdog, .. _options.Launcher, redis, "--port", Port.ToString(CultureInfo.InvariantCulture),
                     "--bind", "127.0.0.1", "--requirepass", Password, "--save", "", .. persistence, "--loglevel", "warning"])
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["SLM_PARENT_PID"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        _process?.Dispose();
        var process = _process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var started = Stopwatch.StartNew();
        while (!await AnswersAsync(cancellationToken))
        {
            if (process.HasExited || started.Elapsed > StartTimeout)
            {
                await KillAsync();
                throw new InvalidOperationException($"redis-server did not start on port {Port}:\n{Log}");
            }

            await Task.Delay(20, cancellationToken);
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

    /// <summary>SIGTERM (the server shuts down as it would under an init system), then SIGKILL after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        using (var terminate = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await terminate.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        if (_dataDirectory is not null)
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    private async Task<bool> AnswersAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port, cancellationToken);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"AUTH {Password}\r\nPING\r\n"), cancellationToken);
            using var reader = new StreamReader(stream, Encoding.ASCII);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(1));
            return await reader.ReadLineAsync(timeout.Token) == "+OK" && await reader.ReadLineAsync(timeout.Token) == "+PONG";
        }
        catch (Exception e) when (e is SocketException or IOException || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private void Write(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }

        _options.Output?.Invoke(line);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? FindOnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, command))
            .FirstOrDefault(File.Exists);
}

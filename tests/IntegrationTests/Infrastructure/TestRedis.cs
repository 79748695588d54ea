using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>
/// A real redis-server (Debian's) for one test cluster: its membership, worker grain directory and response cache.
/// A free loopback port, a generated password, nothing written to disk; killed on dispose. A shell beside it stops it
/// when the test process dies without disposing it.
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

    private TestRedis(int port, string password)
    {
        Port = port;
        Password = password;
    }

    public int Port { get; }

    public string Password { get; }

    /// <summary>As services take it in <c>ConnectionStrings:cache</c>.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},password={Password}";

    public static async Task<TestRedis> StartAsync()
    {
        var redis = new TestRedis(ServiceProcess.FreePort(), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        await redis.RestartAsync();
        return redis;
    }

    /// <summary>Starts the server on its port, empty, as after a crash of a Redis without persistence.</summary>
    public async Task RestartAsync()
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException($"Redis on port {Port} is running already.");
        }

        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-c", Watchdog, "redis-server", "--port", Port.ToString(CultureInfo.InvariantCulture),
                     "--bind", "127.0.0.1", "--requirepass", Password, "--save", "", "--appendonly", "no", "--loglevel", "warning" })
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

    /// <summary>Sends one command over RESP, authenticated, and returns the first reply line (or null when unreachable).</summary>
    public async Task<string?> CommandAsync(params string[] command)
    {
        try
        {
            var (client, stream, reader) = await ConnectAuthenticatedAsync();
            using var connection = client;
            await WriteAsync(stream, command);
            var line = await reader.ReadLineAsync();
            if (line is ['$', ..] && int.Parse(line[1..], CultureInfo.InvariantCulture) >= 0)
            {
                return await reader.ReadLineAsync();
            }

            return line;
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return null;
        }
    }

    /// <summary>How many keys match <paramref name="pattern"/> now (KEYS, run on the server).</summary>
    public async Task<long> CountKeysAsync(string pattern)
    {
        var reply = await CommandAsync("EVAL", "return #redis.call('KEYS', ARGV[1])", "0", pattern)
            ?? throw new IOException($"Redis on port {Port} is unreachable");
        return long.Parse(reply.TrimStart(':'), CultureInfo.InvariantCulture);
    }

    /// <summary>How many times the server has run <paramref name="command"/> (from INFO commandstats; 0 when never).</summary>
    public async Task<long> CommandCallsAsync(string command)
    {
        var (client, stream, reader) = await ConnectAuthenticatedAsync();
        using var connection = client;
        await WriteAsync(stream, ["INFO", "commandstats"]);
        var header = await reader.ReadLineAsync() ?? throw new IOException("Redis closed the connection");
        var body = new char[int.Parse(header[1..], CultureInfo.InvariantCulture)];
        await reader.ReadBlockAsync(body);
        var prefix = $"cmdstat_{command.ToLowerInvariant()}:calls=";
        foreach (var line in new string(body).Split("\r\n"))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return long.Parse(line[prefix.Length..line.IndexOf(',', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
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

    /// <summary>A fresh connection on which AUTH has been answered; the caller disposes the client.</summary>
    private async Task<(TcpClient Client, NetworkStream Stream, StreamReader Reader)> ConnectAuthenticatedAsync()
    {
        var client = new TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", Port);
            var stream = client.GetStream();
            var reader = new StreamReader(stream, Encoding.UTF8);
            await WriteAsync(stream, ["AUTH", Password]);
            var auth = await reader.ReadLineAsync();
            if (auth != "+OK")
            {
                throw new IOException($"AUTH on Redis at port {Port} answered '{auth}'");
            }

            return (client, stream, reader);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private static async Task WriteAsync(NetworkStream stream, string[] command)
    {
        var sb = new StringBuilder($"*{command.Length}\r\n");
        foreach (var part in command)
        {
            sb.Append(CultureInfo.InvariantCulture, $"${Encoding.UTF8.GetByteCount(part)}\r\n{part}\r\n");
        }

        await stream.WriteAsync(Encoding.UTF8.GetBytes(sb.ToString()));
    }
}

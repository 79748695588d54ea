using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>A real redis-server on a free loopback port, with a password and no persistence; killed on dispose.</summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private Process? _process;

    private RedisServer(int port, string password)
    {
        Port = port;
        Password = password;
    }

    public int Port { get; }

    public string Password { get; }

    /// <summary>As services take it in <c>ConnectionStrings:cache</c>.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},password={Password}";

    public static async Task<RedisServer> StartAsync()
    {
        var server = new RedisServer(ServiceProcess.FreePort(), Convert.ToHexString(Guid.NewGuid().ToByteArray()));
        await server.RestartAsync();
        return server;
    }

    /// <summary>Starts (again) on the same port, empty, as after a crash of a cache without persistence.</summary>
    public async Task RestartAsync()
    {
        var info = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--port", $"{Port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--requirepass", Password })
        {
            info.ArgumentList.Add(arg);
        }

        try
        {
            _process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("redis-server is not installed: ./build.sh test installs the Debian package redis-server", e);
        }

        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await CommandAsync("PING") != "+PONG")
        {
            if (DateTime.UtcNow > deadline || _process.HasExited)
            {
                throw new InvalidOperationException($"redis-server did not start on port {Port}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>SIGKILL: no goodbye to its clients.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
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
            if (line is ['$', ..] && int.Parse(line[1..]) >= 0)
            {
                return await reader.ReadLineAsync();
            }

            return line;
        }
        catch (SocketException)
        {
            return null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>How many keys match <paramref name="pattern"/> now (KEYS, run on the server).</summary>
    public async Task<long> CountKeysAsync(string pattern)
    {
        var reply = await CommandAsync("EVAL", "return #redis.call('KEYS', ARGV[1])", "0", pattern)
            ?? throw new IOException($"redis-server on port {Port} is unreachable");
        return long.Parse(reply.TrimStart(':'), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>How many times the server has run <paramref name="command"/> (from INFO commandstats; 0 when never).</summary>
    public async Task<long> CommandCallsAsync(string command)
    {
        var (client, stream, reader) = await ConnectAuthenticatedAsync();
        using var connection = client;
        await WriteAsync(stream, ["INFO", "commandstats"]);
        var header = await reader.ReadLineAsync() ?? throw new IOException("redis-server closed the connection");
        var body = new char[int.Parse(header[1..], System.Globalization.CultureInfo.InvariantCulture)];
        await reader.ReadBlockAsync(body);
        var prefix = $"cmdstat_{command.ToLowerInvariant()}:calls=";
        foreach (var line in new string(body).Split("\r\n"))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return long.Parse(line[prefix.Length..line.IndexOf(',', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
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
            await reader.ReadLineAsync();
            return (client, stream, reader);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync() => await KillAsync();

    private static async Task WriteAsync(NetworkStream stream, string[] command)
    {
        var sb = new StringBuilder($"*{command.Length}\r\n");
        foreach (var part in command)
        {
            sb.Append($"${Encoding.UTF8.GetByteCount(part)}\r\n{part}\r\n");
        }

        await stream.WriteAsync(Encoding.UTF8.GetBytes(sb.ToString()));
    }
}

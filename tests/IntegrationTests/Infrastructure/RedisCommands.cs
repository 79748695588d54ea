using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>
/// What a test asks a Redis it started (in a container or as a process) behind the services' backs: one command over
/// RESP on a fresh authenticated connection, key counts, command counts.
/// </summary>
internal sealed class RedisCommands(string host, int port, string password)
{
    /// <summary>Sends one command, authenticated, and returns the first reply line (or null when unreachable).</summary>
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
            ?? throw new IOException($"Redis on port {port} is unreachable");
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

    /// <summary>A fresh connection on which AUTH has been answered; the caller disposes the client.</summary>
    private async Task<(TcpClient Client, NetworkStream Stream, StreamReader Reader)> ConnectAuthenticatedAsync()
    {
        var client = new TcpClient();
        try
        {
            await client.ConnectAsync(host, port);
            var stream = client.GetStream();
            var reader = new StreamReader(stream, Encoding.UTF8);
            await WriteAsync(stream, ["AUTH", password]);
            var auth = await reader.ReadLineAsync();
            if (auth != "+OK")
            {
                // Docker's port proxy may accept before Redis listens behind it, then close: unreachable too.
                throw new IOException($"AUTH on Redis at port {port} answered '{auth}'");
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

using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace SlmCluster.Bench.Cluster;

/// <summary>A throwaway redis-server for the local cluster: free port, no persistence, a generated password.</summary>
internal static class LocalRedis
{
    public static bool IsInstalled => FindOnPath("redis-server") is not null;

    /// <param name="cores">A taskset core list to keep the server on, or null for anywhere.</param>
    public static async Task<(ChildProcess Process, string ConnectionString)> StartAsync(int port, string? cores, CancellationToken cancellationToken)
    {
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        // redis-server cannot watch its parent as our services do, so a small shell does it: the server
        // goes when the bench goes, even after a SIGKILL, and SIGTERM to the shell stops the server.
        const string Watchdog = """
            "$0" "$@" & server=$!
            trap 'kill $server 2>/dev/null; wait $server; exit 0' TERM INT
            while kill -0 "$SLM_PARENT_PID" 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 0.5; done
            kill $server 2>/dev/null; wait $server
            """;
        string[] shell = ["/bin/sh", "-c", Watchdog, FindOnPath("redis-server")!, "--port", $"{port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--requirepass", password, "--loglevel", "warning"];
        var process = cores is null
            ? ChildProcess.Start("redis", shell[0], shell[1..], new Dictionary<string, string>())
            : ChildProcess.Start("redis", "taskset", ["-c", cores, .. shell], new Dictionary<string, string>());
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await PingAsync(port, password, cancellationToken))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"redis-server did not start on port {port}; see its log lines above.");
            }

            await Task.Delay(50, cancellationToken);
        }

        return (process, $"127.0.0.1:{port},password={password}");
    }

    private static async Task<bool> PingAsync(int port, string password, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port, cancellationToken);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"*2\r\n$4\r\nAUTH\r\n${password.Length}\r\n{password}\r\n*1\r\n$4\r\nPING\r\n"), cancellationToken);
            using var reader = new StreamReader(stream, Encoding.ASCII);
            return await reader.ReadLineAsync(cancellationToken) == "+OK" && await reader.ReadLineAsync(cancellationToken) == "+PONG";
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return false;
        }
    }

    private static string? FindOnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, command))
            .FirstOrDefault(File.Exists);
}

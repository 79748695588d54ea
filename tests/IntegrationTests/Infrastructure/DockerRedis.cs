using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Testcontainers.Redis;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>
/// A real Redis in a container (Testcontainers.Redis), with a password and no persistence, published on a fixed free
/// host port so that a killed and restarted Redis is found where the services left it; removed on dispose.
/// </summary>
internal sealed class DockerRedis : IAsyncDisposable
{
    /// <summary>What <c>./build.sh test</c> tags: the usual Redis image, or one made from Debian's redis-server.</summary>
    public const string Image = "slmcluster/redis-test:local";

    private readonly RedisContainer _container;

    private DockerRedis(int port, string password)
    {
        Port = port;
        Password = password;
        _container = new RedisBuilder(Image)
            .WithPortBinding(port, RedisBuilder.RedisPort)
            // The image's own command is replaced: a password, and nothing written to disk.
            .WithCommand("redis-server", "--requirepass", password, "--save", "", "--appendonly", "no")
            // For redis-cli in the container (Testcontainers' readiness check, ExecScriptAsync).
            .WithEnvironment("REDISCLI_AUTH", password)
            // No reaper runs here (TESTCONTAINERS_RYUK_DISABLED): build.sh removes containers whose test process is gone.
            .WithLabel("org.slmcluster.test-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            .Build();
    }

    public int Port { get; }

    public string Password { get; }

    /// <summary>As services take it in <c>ConnectionStrings:cache</c>.</summary>
    public string ConnectionString => $"{_container.Hostname}:{Port},password={Password}";

    public static async Task<DockerRedis> StartAsync()
    {
        var redis = new DockerRedis(ServiceProcess.FreePort(), Convert.ToHexString(Guid.NewGuid().ToByteArray()));
        try
        {
            await redis._container.StartAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await redis.DisposeAsync();
            throw new InvalidOperationException(
                $"Redis did not start in a container ({e.Message}). It needs a Docker engine (DOCKER_API_VERSION=1.41, " +
                $"TESTCONTAINERS_RYUK_DISABLED=true) and the image {Image}: ./build.sh test sets up both, " +
                "eng/redis-test-image/make-image.sh builds the image alone.", e);
        }

        return redis;
    }

    /// <summary>Starts the same container again, on the same host port and empty, as after a crash of a cache without persistence.</summary>
    public async Task RestartAsync() => await _container.StartAsync();

    /// <summary>Stops the container: Redis is gone and its port refuses connections until <see cref="RestartAsync"/>.</summary>
    public async Task KillAsync() => await _container.StopAsync();

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

    public async ValueTask DisposeAsync() => await _container.DisposeAsync();

    /// <summary>A fresh connection on which AUTH has been answered; the caller disposes the client.</summary>
    private async Task<(TcpClient Client, NetworkStream Stream, StreamReader Reader)> ConnectAuthenticatedAsync()
    {
        var client = new TcpClient();
        try
        {
            await client.ConnectAsync(_container.Hostname, Port);
            var stream = client.GetStream();
            var reader = new StreamReader(stream, Encoding.UTF8);
            await WriteAsync(stream, ["AUTH", Password]);
            var auth = await reader.ReadLineAsync();
            if (auth != "+OK")
            {
                // Docker's port proxy may accept before Redis listens behind it, then close: unreachable too.
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

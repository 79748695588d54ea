using System.Globalization;
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

    /// <summary>As services take it in <c>ConnectionStrings:redis</c>.</summary>
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

    /// <summary>Commands sent to this Redis behind the services' backs.</summary>
    public RedisCommands Commands => new(_container.Hostname, Port, Password);

    public Task<string?> CommandAsync(params string[] command) => Commands.CommandAsync(command);

    public Task<long> CountKeysAsync(string pattern) => Commands.CountKeysAsync(pattern);

    public Task<long> CommandCallsAsync(string command) => Commands.CommandCallsAsync(command);

    public async ValueTask DisposeAsync() => await _container.DisposeAsync();
}

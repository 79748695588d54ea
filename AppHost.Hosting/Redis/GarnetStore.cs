using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Garnet;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SlmCluster.AppHost.Hosting;

internal static class GarnetStore
{
    /// <summary>
    /// Adds Garnet, started inside the AppHost when the application starts, on a free loopback port with a password
    /// generated for this run and a health check that PINGs it. What the cluster asks of its store works on it:
    /// Orleans' membership table and grain directory (hashes, strings and their Lua scripts, so Lua is on), the
    /// response cache (GET, SET with a TTL, SCAN). Garnet has no keyspace notifications: the gateway's cache key
    /// tracking finds CONFIG SET notify-keyspace-events refused and reads the store on every cacheable request.
    /// </summary>
    public static IResourceBuilder<GarnetStoreResource> AddGarnetStore(this IDistributedApplicationBuilder builder, string name)
    {
        var passwordValue = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var password = builder.AddParameter($"{name}-password", passwordValue, secret: true);
        var port = RedisServer.FreePort();
        var resource = new GarnetStoreResource(name, port, password.Resource);
        var healthCheck = $"{name}-ping";
        builder.Services.AddHealthChecks().AddCheck(healthCheck, new RedisPing(port, passwordValue));
        builder.Eventing.Subscribe<InitializeResourceEvent>(resource, async (e, cancellationToken) =>
        {
            await e.Eventing.PublishAsync(new BeforeResourceStartedEvent(resource, e.Services), cancellationToken);
            await e.Notifications.PublishUpdateAsync(resource, s => s with
            {
                State = KnownResourceStates.Starting,
                StartTimeStamp = DateTime.UtcNow,
            });
            try
            {
                var started = Stopwatch.GetTimestamp();
                // A directory of this run alone, removed when the AppHost stops: records that outgrow the store's memory
                // spill to it (a cache flood must not push the membership table out of memory).
                var data = Directory.CreateTempSubdirectory("slmcluster-garnet-").FullName;
                var server = Start(port, passwordValue, data, e.Logger);
                e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(() =>
                {
                    server.Dispose();
                    Directory.Delete(data, recursive: true);
                });
                e.Logger.LogInformation("Garnet {Version} listens on 127.0.0.1:{Port} (started in {Elapsed} ms)",
                    typeof(GarnetServer).Assembly.GetName().Version, port, (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                await e.Notifications.PublishUpdateAsync(resource, s => s with
                {
                    State = KnownResourceStates.Running,
                    Urls = [new UrlSnapshot("tcp", $"tcp://127.0.0.1:{port}", IsInternal: false)],
                });
            }
            catch (Exception failure) when (failure is not OperationCanceledException)
            {
                e.Logger.LogError("{Message}", failure.Message);
                e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SlmCluster.Store").LogError("Garnet did not start: {Message}", failure.Message);
                await e.Notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.FailedToStart });
            }
        });

        return builder.AddResource(resource)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "Garnet",
                State = KnownResourceStates.NotStarted,
                Properties = [new("store.port", port.ToString(CultureInfo.InvariantCulture))],
            })
            .WithHealthCheck(healthCheck)
            .ExcludeFromManifest();
    }

    private static GarnetServer Start(int port, string password, string data, ILogger logger)
    {
        string[] args =
        [
            "--port", port.ToString(CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--auth", "Password",
            "--password", password,
            // Orleans' membership table and grain directory update their rows by script.
            "--lua",
            // Memory is taken as the store grows; the hash index starts small (the default reserves far more).
            "--memory", "512m",
            "--index", "8m",
            "--storage-tier",
            "--logdir", data,
            "-q",
        ];
#pragma warning disable CA2000 // the factory lives as long as the server, which is disposed at the AppHost's stop
        var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning).AddProvider(new ResourceLoggerProvider(logger)));
#pragma warning restore CA2000
        var server = new GarnetServer(args, loggerFactory);
        server.Start();
        return server;
    }
}

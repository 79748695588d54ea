using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SlmCluster.AppHost.Hosting;

/// <summary>
/// Debian's <c>redis-server</c> run as an executable resource, for machines without a container engine: a free port
/// on loopback, a password generated for this run, an append-only file for the run (Orleans' membership table lives
/// here: a server restarted from the dashboard must come back with it). Projects that reference it get
/// <c>ConnectionStrings__{name}</c>, as Aspire's Redis integration hands it over.
/// </summary>
internal sealed class RedisServerResource(string name, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, "redis-server", workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    public ParameterResource Password { get; } = password;

    public EndpointReference Endpoint => new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Endpoint.Property(EndpointProperty.Host)}:{Endpoint.Property(EndpointProperty.Port)},password={Password}");
}

internal static class RedisServer
{
    public static bool IsInstalled =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, "redis-server")));

    /// <summary>Adds <c>redis-server</c> on a free loopback port with a generated password and a health check that PINGs it.</summary>
    public static IResourceBuilder<RedisServerResource> AddRedisServer(this IDistributedApplicationBuilder builder, string name)
    {
        var passwordValue = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var password = builder.AddParameter($"{name}-password", passwordValue, secret: true);
        // Not proxied: every cache lookup would otherwise cross DCP's TCP proxy.
        var port = FreePort();
        var resource = new RedisServerResource(name, builder.AppHostDirectory, password.Resource);
        var healthCheck = $"{name}-ping";
        builder.Services.AddHealthChecks().AddCheck(healthCheck, new RedisPing(port, passwordValue));
        return builder.AddResource(resource)
            .WithEndpoint(port: port, targetPort: port, scheme: "tcp", name: RedisServerResource.EndpointName, isProxied: false)
            .WithArgs(WriteConfig(name, port, passwordValue))
            .WithHealthCheck(healthCheck);
    }

    /// <summary>
    /// The server's settings in a file only root can read, so the password shows neither in the process list nor
    /// among the resource's arguments on the dashboard, and its append-only file in a directory of this run. Both
    /// removed when the AppHost exits: the next run starts a cluster of its own.
    /// </summary>
    private static string WriteConfig(string name, int port, string password)
    {
        var path = Path.Combine(Path.GetTempPath(), $"slmcluster-{name}-{port}.conf");
        // Named for this run alone (and only the owner may enter it): an AppHost that was killed leaves its directory
        // behind, and a later run on the same port must not load that cluster's membership table.
        var data = Directory.CreateTempSubdirectory($"slmcluster-{name}-{port}-data-").FullName;

        var config = $"""
            port {port.ToString(CultureInfo.InvariantCulture)}
            bind 127.0.0.1
            requirepass {password}
            # Membership and the worker grain directory survive a restart of this server (a crash loses at most the
            # last second); no snapshots besides.
            save ""
            appendonly yes
            appendfsync everysec
            dir "{data}"
            # Gateways track which answers exist through keyspace notifications for SET.
            notify-keyspace-events E$
            """;
        File.WriteAllText(path, "");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(path, config);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            File.Delete(path);
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
                // The server may still be writing as it is stopped; a directory left in the temp folder harms nothing.
            }
        };
        return path;
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

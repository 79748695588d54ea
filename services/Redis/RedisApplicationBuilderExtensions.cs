using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace SlmCluster.Redis;

/// <summary>Registers the process's Redis connection, named as Aspire names its Redis client integration.</summary>
public static class RedisApplicationBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="ResilientRedis"/> configured from <c>ConnectionStrings:{connectionName}</c> and the
    /// <c>Redis</c> section. Without a connection string the service runs without Redis.
    /// </summary>
    public static IHostApplicationBuilder AddRedisClient(this IHostApplicationBuilder builder, string connectionName)
    {
        builder.Services.AddOptions<RedisOptions>()
            .BindConfiguration("Redis")
            .Configure<IConfiguration>((options, configuration) =>
                options.ConnectionString ??= configuration.GetConnectionString(connectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<ResilientRedis>();
        return builder;
    }
}

using SlmCluster.Testing;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>Commands sent to a <see cref="LocalRedisServer"/> behind the services' backs, as to a <see cref="DockerRedis"/>.</summary>
internal static class LocalRedisServerCommands
{
    extension(LocalRedisServer redis)
    {
        public RedisCommands Commands => new("127.0.0.1", redis.Port, redis.Password);

        public Task<string?> CommandAsync(params string[] command) => redis.Commands.CommandAsync(command);

        public Task<long> CountKeysAsync(string pattern) => redis.Commands.CountKeysAsync(pattern);

        public Task<long> CommandCallsAsync(string command) => redis.Commands.CommandCallsAsync(command);
    }
}

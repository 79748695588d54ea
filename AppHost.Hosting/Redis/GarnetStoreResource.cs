namespace SlmCluster.AppHost.Hosting;

/// <summary>
/// Garnet (Microsoft's Redis-compatible store, in .NET) running inside the AppHost: the cluster's store on a machine
/// without <c>redis-server</c>. Projects that reference it get <c>ConnectionStrings__{name}</c>, as from
/// <see cref="RedisServerResource"/>; it lives exactly as long as the AppHost, so it needs no file of its own to
/// survive a restart.
/// </summary>
internal sealed class GarnetStoreResource(string name, int port, ParameterResource password) : Resource(name), IResourceWithConnectionString
{
    public int Port { get; } = port;

    public ParameterResource Password { get; } = password;

    public ReferenceExpression ConnectionStringExpression
    {
        get
        {
            var builder = new ReferenceExpressionBuilder();
            builder.AppendLiteral(FormattableString.Invariant($"127.0.0.1:{Port},password="));
            builder.AppendValueProvider(Password);
            return builder.Build();
        }
    }
}

using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Orleans.Dashboard;
using SlmCluster.Gateway.Api.Grpc;
using SlmCluster.Gateway.Api.Ollama;
using SlmCluster.Gateway.Api.OpenAi;
using SlmCluster.Gateway.Caching;
using SlmCluster.Gateway.Cascade;
using SlmCluster.Gateway.Configuration;
using SlmCluster.Gateway.Costs;
using SlmCluster.Gateway.Dashboard;
using SlmCluster.Gateway.Observability;
using SlmCluster.Gateway.Routing;
using SlmCluster.Gateway.Security;
using SlmCluster.Gateway.Serving;
using SlmCluster.Gateway.Serving.Embeddings;
using SlmCluster.Gateway.Serving.Tools;
using SlmCluster.Gateway.Shadows;
using SlmCluster.Redis;
using SlmCluster.ServiceDefaults;
using SlmCluster.Settings;
using SlmCluster.SiloConfiguration;

// Socket completions run on the thread that polls the sockets instead of being queued to the thread pool: the
// gateway's work on a relayed message is short and never blocks, and a pool hand-off per message is latency a token
// pays (docs/benchmarks.md, "Measured decisions"). Read by the runtime when the first socket is used, so it is set
// before anything opens one; a value in the environment wins.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

return ServiceMain.Run("gateway", () =>
{
    // Settings ship beside the binary, wherever it is started from.
    var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
    builder.AddServiceDefaults();

    builder.Services.AddGatewayOptions();

    var gatewayOptions = builder.Configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new GatewayOptions();
    var bindAddress = IPAddress.Parse(gatewayOptions.BindAddress);
    builder.WebHost.ConfigureKestrel(kestrel =>
    {
        kestrel.AddServerHeader = false;
        // gRPC without TLS: an HTTP/2-only endpoint, so clients connect with prior knowledge (h2c).
        kestrel.Listen(bindAddress, gatewayOptions.GrpcPort, listen => listen.Protocols = HttpProtocols.Http2);
        kestrel.Listen(bindAddress, gatewayOptions.HttpPort);

        // The OpenAI API's bodies; gRPC calls lift this and apply their own message size limit instead.
        kestrel.Limits.MaxRequestBodySize = gatewayOptions.MaxRequestBodyBytes;
    });

    builder.Services.AddGrpc();
    builder.Services.AddGrpcHealthChecks();

    // The front door is a silo of the cluster that hosts no model: it sees workers join and die through membership,
    // and a call to a worker whose silo died fails when membership declares it dead instead of waiting out a client's
    // response timeout.
    builder.AddSlmSilo($"gateway-{Environment.MachineName}-{Environment.ProcessId}");
    builder.Services.AddSingleton<WorkerPool>();
    builder.Services.AddSingleton<WorkerDirectory>();
    builder.Services.AddHostedService(sp => sp.GetRequiredService<WorkerDirectory>());
    builder.AddRedisClient(ClusterSettings.RedisName);
    builder.Services.AddSingleton<CacheWriter>();
    builder.Services.AddHostedService(sp => sp.GetRequiredService<CacheWriter>());
    builder.Services.AddSingleton<CacheKeyDirectory>();
    builder.Services.AddHostedService(sp => sp.GetRequiredService<CacheKeyDirectory>());
    builder.Services.AddSingleton<ResponseCache>();
    builder.Services.AddSingleton<SingleFlight>();
    builder.Services.AddSingleton<IWorkerRouter, LeastOutstandingRouter>();
    builder.Services.AddSingleton(TimeProvider.System);
    builder.Services.AddSingleton<ReferencePricing>();
    builder.Services.AddSingleton<ServingStats>();
    builder.Services.AddSingleton<GatewayMetrics>();
    builder.Services.AddCascadeRoutes(builder.Configuration);
    builder.Services.AddShadowComparison(builder.Configuration);
    builder.Services.AddHostedService<MetricSeriesAtStart>();
    builder.Services.AddSingleton<ServingRequestRules>();
    builder.Services.AddSingleton<ToolCallRules>();
    builder.Services.AddSingleton<ModelCatalog>();
    builder.Services.AddSingleton<WorkerCaller>();
    builder.Services.AddSingleton<ServingPipeline>();
    builder.Services.AddEmbeddings();
    builder.Services.AddGatewaySecurity();
    builder.Services.AddSingleton<OpenAiCompletionHandler>();
    builder.Services.AddSingleton<OpenAiModelsHandler>();
    builder.Services.AddOllamaApi();
    builder.Services.AddHealthChecks().AddCheck<WorkersHealthCheck>("workers", tags: [Extensions.ReadyTag]);

    var app = builder.Build();
    app.MapDefaultEndpoints();
    app.UseGatewaySecurity();

    app.MapGrpcService<InferenceGrpcService>().RequireTenantLimits();
    app.MapGrpcHealthChecksService();
    app.MapOpenAiApi();
    app.MapOllamaApi();
    app.MapDashboard();
    if (app.Configuration.GetValue("Orleans:Dashboard:Enabled", true))
    {
        // The cluster as Orleans sees it: silos, grains, calls. Linked from our dashboard.
        app.MapOrleansDashboard(routePrefix: "/orleans");
    }

    app.Run();
});

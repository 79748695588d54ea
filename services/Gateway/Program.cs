using System.Net;
using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Api;
using SlmCluster.Gateway.Api.OpenAi;
using SlmCluster.Gateway.Caching;
using SlmCluster.Gateway.Costs;
using SlmCluster.Gateway.Dashboard;
using SlmCluster.Gateway.Hosting;
using SlmCluster.Gateway.Observability;
using SlmCluster.Gateway.Routing;
using SlmCluster.Gateway.Security;
using SlmCluster.Grpc;
using SlmCluster.Redis;
using SlmCluster.Redis.Registry;
using SlmCluster.ServiceDefaults;

// Socket completions run on the thread that polls the sockets rather than being queued to the thread pool: the
// gateway's h2c server and client do only non-blocking work there, and each relayed message then crosses the
// process on the thread that received it (on a loaded 2-core machine a pool hand-off costs 0.1-0.3 ms per message).
// Read once by the runtime when the first socket is used, so it is set before anything opens one; an explicit
// value in the environment wins.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

// Settings ship beside the binary, wherever it is started from.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddServiceDefaults();

builder.Services.AddOptions<GatewayOptions>()
    .BindConfiguration(GatewayOptions.SectionName)
    .ValidateDataAnnotations()
    .ValidateOnStart();
builder.Services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();

var gatewayOptions = builder.Configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new GatewayOptions();
var bindAddress = IPAddress.Parse(gatewayOptions.BindAddress);
builder.WebHost.ConfigureKestrel(kestrel =>
{
    if (gatewayOptions.GrpcServer == GrpcServerKind.Kestrel)
    {
        kestrel.ListenGrpc(bindAddress, gatewayOptions.GrpcPort);
    }

    kestrel.Listen(bindAddress, gatewayOptions.HttpPort);

    // The OpenAI API's bodies; gRPC calls lift this and apply their own message size limit instead.
    kestrel.Limits.MaxRequestBodySize = gatewayOptions.MaxRequestBodyBytes;
});

builder.Services.AddGrpcServer();
if (gatewayOptions.GrpcServer == GrpcServerKind.H2c)
{
    builder.Services.AddGrpcH2cListener(bindAddress, gatewayOptions.GrpcPort);
}

builder.Services.AddSingleton<WorkerPool>();
builder.AddRedisClient("cache");
builder.Services.AddSingleton<WorkerRegistry>();
builder.Services.AddHostedService<RegistryWorkerSource>();
builder.Services.AddOptions<CacheOptions>().BindConfiguration("Gateway:Cache").ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddSingleton<CacheWriter>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<CacheWriter>());
builder.Services.AddSingleton<CacheKeyDirectory>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<CacheKeyDirectory>());
builder.Services.AddSingleton<ResponseCache>();
builder.Services.AddSingleton<SingleFlight>();
builder.Services.AddSingleton<WorkerHealthMonitor>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<WorkerHealthMonitor>());
builder.Services.AddSingleton<IWorkerRouter, LeastOutstandingRouter>();
builder.Services.AddSingleton<GenerateRequestValidator>();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddOptions<CostOptions>().BindConfiguration(CostOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddSingleton<IValidateOptions<CostOptions>, CostOptionsValidator>();
builder.Services.AddSingleton<ReferencePricing>();
builder.Services.AddSingleton<ServingStats>();
builder.Services.AddSingleton<GatewayMetrics>();
builder.Services.AddSingleton<GatewayInferenceService>();
builder.Services.AddSingleton<ApiKeyAuthenticator>();
builder.Services.AddSingleton<TenantRateLimiter>();
builder.Services.AddSingleton<RequestAdmission>();
builder.Services.AddHostedService<SecurityStartupReport>();
builder.Services.AddSingleton<OpenAiCompletionHandler>();
builder.Services.AddSingleton<OpenAiModelsHandler>();
builder.Services.AddHealthChecks().AddCheck<WorkersHealthCheck>("workers", tags: [ServiceDefaultsExtensions.ReadyTag]);

var app = builder.Build();
app.MapDefaultEndpoints();

var inference = app.Services.GetRequiredService<GatewayInferenceService>();
var admission = app.Services.GetRequiredService<RequestAdmission>();
app.MapGrpcUnary(SlmCluster.Grpc.InferenceMethods.Generate, admission.Guard(inference.GenerateAsync));
app.MapGrpcServerStreaming(SlmCluster.Grpc.InferenceMethods.GenerateStream, admission.Guard(inference.GenerateStreamAsync));
app.MapGrpcUnary(SlmCluster.Grpc.InferenceMethods.ListModels, admission.GuardRead<SlmCluster.Protocol.V1.ListModelsRequest, SlmCluster.Protocol.V1.ListModelsResponse>(inference.ListModelsAsync));
app.MapGrpcHealthService();
app.MapOpenAiApi();
app.MapDashboard();

app.Run();

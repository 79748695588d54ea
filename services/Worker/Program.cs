using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using SlmCluster.Protocol.V1;
using SlmCluster.ServiceDefaults;
using SlmCluster.Worker.Api;
using SlmCluster.Worker.Costs;
using SlmCluster.Worker.Observability;
using SlmCluster.Redis;
using SlmCluster.Redis.Registry;
using SlmCluster.Worker.Hosting;
using SlmCluster.Worker.Registry;

// Socket completions (and Kestrel's continuations, which follow the same switch) run on the thread that polls the
// sockets instead of being queued to the thread pool: every generated token is one small write, and on a small
// machine each pool hand-off takes CPU from llama.cpp's threads. Set before anything opens a socket; a value in
// the environment wins.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

// Settings ship beside the binary, wherever it is started from.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddServiceDefaults();

builder.Services.AddOptions<WorkerOptions>()
    .BindConfiguration(WorkerOptions.SectionName)
    .ValidateDataAnnotations()
    .ValidateOnStart();

var workerOptions = builder.Configuration.GetSection(WorkerOptions.SectionName).Get<WorkerOptions>() ?? new WorkerOptions();
builder.WebHost.ConfigureKestrel(kestrel =>
{
    var address = IPAddress.Parse(workerOptions.BindAddress);
    // gRPC without TLS: an HTTP/2-only endpoint, so clients connect with prior knowledge (h2c).
    kestrel.Listen(address, workerOptions.GrpcPort, listen => listen.Protocols = HttpProtocols.Http2);
    if (workerOptions.HttpPort > 0)
    {
        kestrel.Listen(address, workerOptions.HttpPort);
    }
});

builder.Services.AddGrpc();
builder.Services.AddGrpcHealthChecks();
builder.Services.AddHealthChecks().AddCheck<WorkerReadinessHealthCheck>("model", tags: [Extensions.ReadyTag]);
builder.Services.AddSingleton<EngineHost>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<EngineHost>());
builder.Services.AddSingleton<InferenceService>();
builder.Services.AddSingleton<WorkerState>();
builder.Services.AddOptions<WorkerCostOptions>()
    .BindConfiguration(WorkerCostOptions.SectionName)
    .ValidateDataAnnotations()
    .ValidateOnStart();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<WorkerTimeLedger>();
builder.Services.AddSingleton<WorkerMetrics>();
builder.AddRedisClient("cache");
builder.Services.AddSingleton<WorkerRegistry>();
builder.Services.AddHostedService<WorkerRegistrar>();
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = workerOptions.DrainTimeout + TimeSpan.FromSeconds(5));

var app = builder.Build();
app.MapDefaultEndpoints();

app.MapGrpcService<InferenceService>();
app.MapGrpcHealthChecksService();

app.Run();

using System.Net;
using SlmCluster.Grpc;
using SlmCluster.Protocol.V1;
using SlmCluster.ServiceDefaults;
using SlmCluster.Worker.Api;
using SlmCluster.Worker.Costs;
using SlmCluster.Worker.Observability;
using SlmCluster.Redis;
using SlmCluster.Redis.Registry;
using SlmCluster.Worker.Hosting;
using SlmCluster.Worker.Registry;

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
    kestrel.ListenGrpc(address, workerOptions.GrpcPort);
    if (workerOptions.HttpPort > 0)
    {
        kestrel.Listen(address, workerOptions.HttpPort);
    }
});

builder.Services.AddGrpcServer();
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

var inference = app.Services.GetRequiredService<InferenceService>();
app.MapGrpcUnary(InferenceMethods.Generate, inference.GenerateAsync);
app.MapGrpcServerStreaming(InferenceMethods.GenerateStream, inference.GenerateStreamAsync);
app.MapGrpcUnary(InferenceMethods.ListModels, inference.ListModelsAsync);
app.MapGrpcHealthService();

app.Run();

using System.Net;
using SlmCluster.ServiceDefaults;
using SlmCluster.Silo;
using SlmCluster.Worker.Costs;
using SlmCluster.Worker.Grains;
using SlmCluster.Worker.Hosting;
using SlmCluster.Worker.Observability;

// Socket completions run on the thread that polls the sockets instead of being queued to the thread pool: every
// generated token is one small message to the front door, and on a small machine each pool hand-off takes CPU from
// llama.cpp's threads. Set before anything opens a socket; a value in the environment wins.
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
    // /health, /alive and /metrics; inference reaches this process as Orleans calls on the silo port.
    kestrel.Listen(IPAddress.Parse(workerOptions.BindAddress), workerOptions.HttpPort);
});

builder.Services.AddHealthChecks().AddCheck<WorkerReadinessHealthCheck>("model", tags: [Extensions.ReadyTag]);
// Loads the model before the silo starts: a worker that has joined the cluster can serve.
builder.Services.AddSingleton<EngineHost>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<EngineHost>());
builder.Services.AddSingleton<WorkerState>();
builder.Services.AddOptions<WorkerCostOptions>()
    .BindConfiguration(WorkerCostOptions.SectionName)
    .ValidateDataAnnotations()
    .ValidateOnStart();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<WorkerTimeLedger>();
builder.Services.AddSingleton<WorkerMetrics>();
builder.Services.AddSingleton<WorkerGeneration>();
builder.Services.AddSingleton<WorkerGrainActivations>();

builder.AddSlmSilo(workerOptions.Id is { Length: > 0 } workerId ? workerId : $"{Environment.MachineName}-{Environment.ProcessId}");
// After the silo: activates the grain once the silo has joined, and drains before the silo leaves.
builder.Services.AddHostedService<WorkerGrainLifecycle>();
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = workerOptions.DrainTimeout + TimeSpan.FromSeconds(10));

var app = builder.Build();
app.MapDefaultEndpoints();

app.Run();

using System.Net;
using SlmCluster.ServiceDefaults;
using SlmCluster.Worker.Configuration;

// Socket completions run on the thread that polls the sockets instead of being queued to the thread pool: every
// generated token is one small message to the front door, and on a small machine each pool hand-off takes CPU from
// llama.cpp's threads. Set before anything opens a socket; a value in the environment wins.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

return ServiceMain.Run("worker", () =>
{
    // Settings ship beside the binary, wherever it is started from.
    var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
    builder.AddServiceDefaults();

    var workerOptions = builder.Configuration.GetSection(WorkerOptions.SectionName).Get<WorkerOptions>() ?? new WorkerOptions();
    builder.WebHost.ConfigureKestrel(kestrel =>
    {
        // /health, /alive and /metrics; inference reaches this process as Orleans calls on the silo port.
        kestrel.Listen(IPAddress.Parse(workerOptions.BindAddress), workerOptions.HttpPort);
    });

    builder.Services.AddHealthChecks().AddCheck<WorkerReadinessHealthCheck>("model", tags: [Extensions.ReadyTag]);
    // The model, the silo and the model grain pinned to it (loaded before the silo starts, drained before it leaves).
    builder.AddModelWorker();

    var app = builder.Build();
    app.MapDefaultEndpoints();

    app.Run();
});

using System.Net;
using SlmCluster.Gateway.Api;
using SlmCluster.Gateway.Hosting;
using SlmCluster.Gateway.Routing;
using SlmCluster.Grpc;
using SlmCluster.ServiceDefaults;

// Settings ship beside the binary, wherever it is started from.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddServiceDefaults();

builder.Services.AddOptions<GatewayOptions>()
    .BindConfiguration(GatewayOptions.SectionName)
    .ValidateDataAnnotations()
    .ValidateOnStart();

var gatewayOptions = builder.Configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new GatewayOptions();
builder.WebHost.ConfigureKestrel(kestrel =>
{
    var address = IPAddress.Parse(gatewayOptions.BindAddress);
    kestrel.ListenGrpc(address, gatewayOptions.GrpcPort);
    kestrel.Listen(address, gatewayOptions.HttpPort);
});

builder.Services.AddGrpcServer();
builder.Services.AddSingleton<WorkerPool>();
builder.Services.AddSingleton<WorkerHealthMonitor>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<WorkerHealthMonitor>());
builder.Services.AddSingleton<IWorkerRouter, LeastOutstandingRouter>();
builder.Services.AddSingleton<GenerateRequestValidator>();
builder.Services.AddSingleton<GatewayInferenceService>();
builder.Services.AddHealthChecks().AddCheck<WorkersHealthCheck>("workers", tags: [ServiceDefaultsExtensions.ReadyTag]);

var app = builder.Build();
app.MapDefaultEndpoints();

var inference = app.Services.GetRequiredService<GatewayInferenceService>();
app.MapGrpcUnary(SlmCluster.Grpc.InferenceMethods.Generate, inference.GenerateAsync);
app.MapGrpcServerStreaming(SlmCluster.Grpc.InferenceMethods.GenerateStream, inference.GenerateStreamAsync);
app.MapGrpcUnary(SlmCluster.Grpc.InferenceMethods.ListModels, inference.ListModelsAsync);
app.MapGrpcHealthService();

app.Run();

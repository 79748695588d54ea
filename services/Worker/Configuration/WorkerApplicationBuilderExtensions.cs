using Microsoft.Extensions.DependencyInjection.Extensions;
using SlmCluster.SiloConfiguration;
using SlmCluster.Worker.Costs;
using SlmCluster.Worker.Grains;
using SlmCluster.Worker.Observability;

namespace SlmCluster.Worker.Configuration;

/// <summary>Makes a host a worker silo: one model instance, one pinned model grain in front of it.</summary>
public static class WorkerApplicationBuilderExtensions
{
    /// <summary>
    /// Loads the model of the <c>Worker</c> section before the silo starts (a worker that has joined the cluster can
    /// serve), joins the cluster as an SlmCluster silo, activates this silo's <see cref="ModelWorkerGrain"/> once it
    /// has joined, and on shutdown drains before the silo leaves. The HTTP side (/health, /alive, /metrics) is the
    /// caller's; the worker's instruments are in <see cref="WorkerMetrics"/>.
    /// </summary>
    /// <param name="configureSilo">More silo configuration, after SlmCluster's.</param>
    public static IHostApplicationBuilder AddModelWorker(this IHostApplicationBuilder builder, Action<ISiloBuilder>? configureSilo = null)
    {
        var services = builder.Services;
        services.AddOptions<WorkerOptions>()
            .BindConfiguration(WorkerOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        var workerOptions = builder.Configuration.GetSection(WorkerOptions.SectionName).Get<WorkerOptions>() ?? new WorkerOptions();

        // Hosted before the silo, so the model is loaded when the silo starts.
        services.AddSingleton<EngineHost>();
        services.AddHostedService(sp => sp.GetRequiredService<EngineHost>());
        services.AddSingleton<WorkerState>();
        services.AddOptions<WorkerCostOptions>()
            .BindConfiguration(WorkerCostOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<WorkerTimeLedger>();
        // Hosted after the engine: the model's series are declared once its id is known.
        services.AddSingleton<WorkerMetrics>();
        services.AddHostedService(sp => sp.GetRequiredService<WorkerMetrics>());
        services.AddSingleton<WorkerGeneration>();
        services.AddSingleton<WorkerEmbeddings>();
        services.AddSingleton<WorkerGrainActivations>();

        builder.AddSlmSilo(workerOptions.Id is { Length: > 0 } workerId ? workerId : $"{Environment.MachineName}-{Environment.ProcessId}", configureSilo);
        // After the silo: activates the grain once the silo has joined, and drains before the silo leaves.
        services.AddHostedService<WorkerGrainLifecycle>();
        services.Configure<HostOptions>(o => o.ShutdownTimeout = workerOptions.DrainTimeout + TimeSpan.FromSeconds(10));
        return builder;
    }
}

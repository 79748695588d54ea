using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using SlmCluster.AppHost.Hosting;
using SlmCluster.IntegrationTests.Infrastructure;

namespace SlmCluster.IntegrationTests.Settings;

/// <summary>
/// The environment the AppHost's local run hands each of its projects, from its application model, built and never
/// started: every endpoint is given the address the orchestrator would give it, and every model the path its
/// resolution would, so the resources' environment callbacks can be evaluated as they are at start.
/// </summary>
internal static class LocalRunEnvironment
{
    public static async Task<IReadOnlyList<(string Resource, ServiceKind Service, IReadOnlyDictionary<string, string> Environment)>> OfEveryProjectAsync(
        params string[] args)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>([.. args, "--models-dir", TestPaths.ModelsDirectory]);
        await using var app = await builder.BuildAsync();
        return await OfEveryProjectAsync(app);
    }

    /// <summary>The environment of every project of <paramref name="app"/>, built and not started.</summary>
    public static async Task<IReadOnlyList<(string Resource, ServiceKind Service, IReadOnlyDictionary<string, string> Environment)>> OfEveryProjectAsync(
        DistributedApplication app)
    {
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        foreach (var resource in model.Resources.OfType<IResourceWithEndpoints>())
        {
            foreach (var endpoint in resource.Annotations.OfType<EndpointAnnotation>())
            {
                var port = endpoint.Port ?? endpoint.TargetPort ?? ServiceProcess.FreePort();
                endpoint.AllocatedEndpoint ??= new AllocatedEndpoint(endpoint, "127.0.0.1", port, EndpointBindingMode.SingleAddress,
                    targetPortExpression: port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        foreach (var resource in model.Resources.OfType<ModelResource>())
        {
            resource.Path = Path.Combine(TestPaths.ModelsDirectory, resource.Reference.FileName);
        }

        var context = app.Services.GetRequiredService<DistributedApplicationExecutionContext>();
        var environments = new List<(string, ServiceKind, IReadOnlyDictionary<string, string>)>();
        foreach (var project in model.Resources.OfType<ProjectResource>().OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var path = project.GetProjectMetadata().ProjectPath;
            var service = Path.GetFileNameWithoutExtension(path) switch
            {
                "Worker" => ServiceKind.Worker,
                "Gateway" => ServiceKind.Gateway,
                var other => throw new InvalidOperationException($"The AppHost runs a project no test knows: {other}"),
            };
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var configuration = await ExecutionConfigurationBuilder.Create(project).WithEnvironmentVariablesConfig()
                .BuildAsync(context, NullLogger.Instance, cancel.Token);
            if (configuration.Exception is { } failure)
            {
                throw new InvalidOperationException($"The environment of {project.Name} could not be evaluated.", failure);
            }

            environments.Add((project.Name, service, configuration.EnvironmentVariables.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal)));
        }

        return environments;
    }
}

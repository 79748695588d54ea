using System.Diagnostics;
using SlmCluster.Hosting;
using SlmCluster.Hosting.Publishing;
using SlmCluster.IntegrationTests.Infrastructure;
using static SlmCluster.IntegrationTests.Deploy.ManifestSet;

namespace SlmCluster.IntegrationTests.Deploy;

/// <summary>The committed <c>deploy/k8s</c>: what <c>AppHost publish</c> writes, and what a cluster operator relies on.</summary>
public sealed class KubernetesManifestTests
{
    private static readonly string Committed = Path.Combine(TestPaths.RepoRoot, "deploy", "k8s");
    private readonly ManifestSet _manifests = Load(Committed);

    [Fact]
    public async Task Publishing_again_gives_exactly_the_committed_manifests()
    {
        var output = Directory.CreateTempSubdirectory("slm-k8s-");
        try
        {
            await PublishAsync(output.FullName);

            var published = output.GetFiles().Select(f => f.Name).Order(StringComparer.Ordinal).ToArray();
            var committed = Directory.GetFiles(Committed).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(committed, published);
            foreach (var file in published)
            {
                Assert.True(
                    await File.ReadAllTextAsync(Path.Combine(Committed, file)) == await File.ReadAllTextAsync(Path.Combine(output.FullName, file)),
                    $"deploy/k8s/{file} differs from a fresh publish: run `dotnet run --project AppHost -- publish --output deploy/k8s` and commit the result.");
            }
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    /// <summary>Runs the built AppHost's publish step, as <c>dotnet run --project AppHost -- publish</c> does.</summary>
    private static async Task PublishAsync(string output, params string[] extra)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { TestPaths.AppHostAssembly, "publish", "--output", output }.Concat(extra))
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("SLM_MODEL_BASE_URL");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        Assert.True(process.ExitCode == 0, await stdout + await stderr);
    }

    [Fact]
    public void Every_object_has_a_kind_a_name_and_the_cluster_namespace()
    {
        Assert.NotEmpty(_manifests.Objects);
        Assert.Single(_manifests.OfKind("Namespace"), n => Str(n, "metadata.name") == KubernetesClusterSpec.DefaultNamespace);
        foreach (var (file, o) in _manifests.Objects.Where(o => Str(o.Object, "kind") != "Namespace"))
        {
            Assert.False(string.IsNullOrEmpty(Str(o, "apiVersion")), file);
            Assert.False(string.IsNullOrEmpty(Str(o, "metadata.name")), file);
            Assert.Equal(KubernetesClusterSpec.DefaultNamespace, Str(o, "metadata.namespace"));
        }

        // Everything is applied by `kubectl apply -k`, except the password Secret, which is created with a generated password.
        var kustomization = File.ReadAllText(Path.Combine(Committed, "kustomization.yaml"));
        var secretFile = KubernetesManifestWriter.PasswordSecretFile("cache");
        foreach (var file in _manifests.Objects.Select(o => o.File).Distinct().Where(f => f != secretFile))
        {
            Assert.Contains($"- {file}", kustomization);
        }

        Assert.DoesNotContain(secretFile, kustomization);
        Assert.Equal(secretFile, Assert.Single(_manifests.Objects, o => Str(o.Object, "kind") == "Secret").File);
    }

    [Fact]
    public void Redis_is_a_StatefulSet_behind_a_Service_with_its_password_from_a_Secret()
    {
        var redis = _manifests.Single("StatefulSet", "cache");
        _manifests.Single("Service", "cache");
        var secret = _manifests.Single("Secret", "cache-password");
        var container = Assert.Single(Containers(redis));
        Assert.Matches(@"^redis:\d+\.\d+\.\d+$", Str(container, "image"));
        Assert.Contains(ListAt(container, "env").Cast<Dictionary<object, object>>(), e => Str(e, "valueFrom.secretKeyRef.name") == "cache-password");

        // The committed Secret holds a placeholder, never a password; Redis refuses to start with it.
        var placeholder = Str(secret, "stringData.password")!;
        Assert.Contains(placeholder, string.Join(' ', ListAt(container, "command")));
    }

    [Fact]
    public void Workers_are_a_StatefulSet_with_one_GPU_each_gRPC_probes_and_resources()
    {
        var workers = _manifests.Single("StatefulSet", "worker");
        Assert.Equal("worker", Str(workers, "spec.serviceName"));
        var worker = Assert.Single(Containers(workers));

        Assert.Equal("1", MapAt(worker, "resources.limits")["nvidia.com/gpu"]);
        Assert.Equal("1", MapAt(worker, "resources.requests")["nvidia.com/gpu"]);
        Assert.NotNull(MapAt(worker, "resources.requests")["memory"]);
        Assert.NotNull(MapAt(worker, "resources.limits")["memory"]);
        Assert.Equal("-1", Env(worker, "Worker__GpuLayers"));
        Assert.Equal("cuda:0", Env(worker, "Worker__Device"));

        var grpcPort = Port(worker, "grpc");
        foreach (var probe in new[] { "readinessProbe", "livenessProbe", "startupProbe" })
        {
            Assert.Equal(grpcPort, Str(worker, $"{probe}.grpc.port"));
        }

        Assert.Equal(grpcPort, Env(worker, "Worker__GrpcPort"));
        Assert.Equal("0.0.0.0", Env(worker, "Worker__BindAddress"));
    }

    [Fact]
    public void The_model_is_downloaded_and_verified_by_an_init_container_into_the_workers_volume()
    {
        var workers = _manifests.Single("StatefulSet", "worker");
        var fetch = Assert.Single(Containers(workers, "initContainers"));
        var worker = Assert.Single(Containers(workers));

        Assert.Matches("^[0-9a-f]{64}$", Env(fetch, "MODEL_SHA256"));
        Assert.StartsWith("https://", Env(fetch, "MODEL_URL"));
        var script = string.Join(' ', ListAt(fetch, "command"));
        Assert.Contains("sha256sum -c", script);
        Assert.Contains(".part", script);

        var mount = Str(ListAt(fetch, "volumeMounts").Cast<Dictionary<object, object>>().Single(), "mountPath");
        Assert.StartsWith(mount + "/", Env(fetch, "MODEL_FILE"));
        Assert.Equal(Env(fetch, "MODEL_FILE"), Env(worker, "Worker__ModelPath"));
        Assert.Contains(ListAt(workers, "spec.volumeClaimTemplates").Cast<Dictionary<object, object>>(), v => Str(v, "metadata.name") == "models");
    }

    [Fact]
    public void Workers_have_a_headless_Service_the_gateway_reaches_each_of_them_through()
    {
        var service = _manifests.Single("Service", "worker");
        Assert.Equal("None", Str(service, "spec.clusterIP"));
        var workers = _manifests.Single("StatefulSet", "worker");
        var replicas = int.Parse(Str(workers, "spec.replicas")!);
        var worker = Assert.Single(Containers(workers));
        var gateway = Assert.Single(Containers(_manifests.Single("Deployment", "gateway")));

        for (var i = 0; i < replicas; i++)
        {
            // The gateway's static endpoint and the worker's registry entry name the same address.
            var endpoint = Env(gateway, $"services__worker__grpc__{i}");
            Assert.Equal(Env(worker, "Worker__AdvertisedEndpoint")!.Replace("$(POD_NAME)", $"worker-{i}"), endpoint);
        }
    }

    [Fact]
    public void The_gateway_is_a_Deployment_with_grpc_and_http_ports_an_autoscaler_and_a_disruption_budget()
    {
        var deployment = _manifests.Single("Deployment", "gateway");
        var gateway = Assert.Single(Containers(deployment));
        var service = _manifests.Single("Service", "gateway");
        var ports = ListAt(service, "spec.ports").Cast<Dictionary<object, object>>().Select(p => Str(p, "name")).ToArray();
        Assert.Equal(new[] { "grpc", "http" }, ports);
        Assert.Equal(Port(gateway, "grpc"), Str(gateway, "readinessProbe.grpc.port"));
        Assert.Equal(Port(gateway, "grpc"), Str(gateway, "livenessProbe.grpc.port"));
        Assert.NotNull(At(gateway, "resources.requests.cpu"));
        Assert.NotNull(At(gateway, "resources.limits.memory"));
        Assert.Contains("$(REDIS_PASSWORD)", Env(gateway, "ConnectionStrings__cache"));

        var autoscaler = _manifests.Single("HorizontalPodAutoscaler", "gateway");
        Assert.Equal("Deployment", Str(autoscaler, "spec.scaleTargetRef.kind"));
        Assert.Equal("gateway", Str(autoscaler, "spec.scaleTargetRef.name"));
        Assert.True(int.Parse(Str(autoscaler, "spec.maxReplicas")!) > int.Parse(Str(autoscaler, "spec.minReplicas")!));

        var budget = _manifests.Single("PodDisruptionBudget", "gateway");
        Assert.Equal("gateway", MapAt(budget, "spec.selector.matchLabels")["app.kubernetes.io/name"]);
        Assert.Equal("1", Str(budget, "spec.minAvailable"));
        Assert.NotNull(At(_manifests.Single("PodDisruptionBudget", "worker"), "spec.maxUnavailable"));
    }

    [Fact]
    public void Services_are_scraped_by_Prometheus_on_their_http_port()
    {
        foreach (var workload in _manifests.OfKind("StatefulSet").Concat(_manifests.OfKind("Deployment")).Where(w => Str(w, "metadata.name") != "cache"))
        {
            var annotations = MapAt(workload, "spec.template.metadata.annotations");
            Assert.Equal("true", annotations["prometheus.io/scrape"]);
            Assert.Equal("/metrics", annotations["prometheus.io/path"]);
            Assert.Equal(Port(Containers(workload).First(), "http"), annotations["prometheus.io/port"]);
        }
    }

    [Fact]
    public void Images_have_pinned_tags_and_ours_are_built_from_Dockerfiles_in_deploy_docker()
    {
        var workloads = _manifests.OfKind("StatefulSet").Concat(_manifests.OfKind("Deployment"));
        var containers = workloads.SelectMany(w => Containers(w).Concat(At(w, "spec.template.spec.initContainers") is null ? [] : Containers(w, "initContainers")));
        foreach (var image in containers.Select(c => Str(c, "image")!))
        {
            Assert.Matches(@"^[a-z0-9./-]+:[0-9][0-9A-Za-z.-]*$", image);
            if (image.StartsWith("slmcluster/", StringComparison.Ordinal))
            {
                var name = image["slmcluster/".Length..image.IndexOf(':')];
                var dockerfile = Path.Combine(TestPaths.RepoRoot, "deploy", "docker", $"{name.Replace("-cuda", "")}.Dockerfile");
                Assert.True(File.Exists(dockerfile), $"{image} has no Dockerfile {dockerfile}");
                var text = File.ReadAllText(dockerfile);
                Assert.Contains("dotnet publish", text);
                Assert.True(name.EndsWith("-cuda", StringComparison.Ordinal) ? text.Contains("SlmLlamaBackend=cuda") : true, $"{dockerfile} has no CUDA build");
            }
        }
    }

    [Fact]
    public async Task Publishing_for_CPUs_asks_for_no_GPU()
    {
        var directory = Directory.CreateTempSubdirectory("slm-k8s-cpu-");
        try
        {
            await PublishAsync(directory.FullName, "--device", "cpu");

            var worker = Assert.Single(Containers(Load(directory.FullName).Single("StatefulSet", "worker")));
            Assert.False(MapAt(worker, "resources.limits").ContainsKey("nvidia.com/gpu"));
            Assert.Equal("cpu", Env(worker, "Worker__Device"));
            Assert.Equal(Str(worker, "resources.requests.cpu"), Env(worker, "Worker__Threads"));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static string? Env(Dictionary<object, object> container, string name) =>
        ListAt(container, "env").Cast<Dictionary<object, object>>().Where(e => Str(e, "name") == name).Select(e => Str(e, "value")).SingleOrDefault();

    private static string? Port(Dictionary<object, object> container, string name) =>
        ListAt(container, "ports").Cast<Dictionary<object, object>>().Where(p => Str(p, "name") == name).Select(p => Str(p, "containerPort")).Single();
}

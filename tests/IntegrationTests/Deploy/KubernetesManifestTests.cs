using System.Diagnostics;
using SlmCluster.AppHost.Hosting;
using SlmCluster.AppHost.Hosting.Publishing;
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
        await InTemporaryDirectoryAsync("slm-k8s-", async output =>
        {
            await PublishAsync(output.FullName);

            var published = output.GetFiles().Select(f => f.Name).Order(StringComparer.Ordinal).ToArray();
            var committed = Directory.GetFiles(Committed).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(committed, published);
            foreach (var file in published)
            {
                Assert.True(
                    await File.ReadAllTextAsync(Path.Combine(Committed, file)) == await File.ReadAllTextAsync(Path.Combine(output.FullName, file)),
                    $"deploy/k8s/{file} differs from a fresh publish: run `dotnet run --project AppHost -- publish --output \"$PWD/deploy/k8s\"` from the repository root and commit the result.");
            }
        });
    }

    /// <summary>Runs <paramref name="body"/> on a new temporary directory, removed afterwards whatever happens.</summary>
    private static async Task InTemporaryDirectoryAsync(string prefix, Func<DirectoryInfo, Task> body)
    {
        var directory = Directory.CreateTempSubdirectory(prefix);
        try
        {
            await body(directory);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>Runs the built AppHost's publish step, as <c>dotnet run --project AppHost -- publish</c> does.</summary>
    internal static async Task PublishAsync(string output, params string[] extra)
    {
        var (exitCode, text) = await TryPublishAsync(output, extra);
        Assert.True(exitCode == 0, text);
    }

    /// <summary>Runs the publish step; its exit code and everything it printed.</summary>
    private static async Task<(int ExitCode, string Output)> TryPublishAsync(string output, params string[] extra)
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
        return (process.ExitCode, await stdout + await stderr);
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
        var secretFile = KubernetesManifestWriter.PasswordSecretFile(ClusterSettings.RedisName);
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
        var redis = _manifests.Single("StatefulSet", ClusterSettings.RedisName);
        _manifests.Single("Service", ClusterSettings.RedisName);
        var secret = _manifests.Single("Secret", KubernetesManifestWriter.PasswordSecret);
        var container = Assert.Single(Containers(redis));
        Assert.Matches(@"^redis:\d+\.\d+\.\d+$", Str(container, "image"));
        Assert.Contains(ListAt(container, "env").Cast<Dictionary<object, object>>(), e => Str(e, "valueFrom.secretKeyRef.name") == KubernetesManifestWriter.PasswordSecret);

        // The committed Secret holds a placeholder, never a password; Redis refuses to start with it.
        var command = string.Join(' ', ListAt(container, "command"));
        var placeholder = Str(secret, "stringData.password")!;
        Assert.Contains(placeholder, command);

        // Redis also holds Orleans' membership table and the worker grain directory, whose keys have no TTL: when memory
        // runs out it evicts cached answers (which have one), never those.
        Assert.Contains("--maxmemory-policy volatile-lru", command);
        Assert.DoesNotContain("allkeys-", command);

        // And keeps them in an append-only file on a volume of its own, so a restarted Redis still has the table that
        // silos join through.
        Assert.Contains("--appendonly yes", command);
        Assert.Contains("--dir /data", command);
        Assert.Contains(ListAt(container, "volumeMounts").Cast<Dictionary<object, object>>(), m => Str(m, "name") == "data" && Str(m, "mountPath") == "/data");
        var claim = Assert.Single(ListAt(redis, "spec.volumeClaimTemplates").Cast<Dictionary<object, object>>());
        Assert.Equal("data", Str(claim, "metadata.name"));
        Assert.Equal("1Gi", Str(claim, "spec.resources.requests.storage"));
    }

    [Fact]
    public void Workers_are_a_StatefulSet_with_one_GPU_each_HTTP_probes_and_resources()
    {
        var workers = _manifests.Single("StatefulSet", "worker");
        Assert.Equal("worker", Str(workers, "spec.serviceName"));
        var worker = Assert.Single(Containers(workers));

        Assert.Equal("1", MapAt(worker, "resources.limits")["nvidia.com/gpu"]);
        Assert.Equal("1", MapAt(worker, "resources.requests")["nvidia.com/gpu"]);
        Assert.NotNull(MapAt(worker, "resources.requests")["memory"]);
        Assert.NotNull(MapAt(worker, "resources.limits")["memory"]);
        Assert.Equal("-1", Env(worker, ClusterSettings.Keys.Worker.GpuLayers));
        Assert.Equal(ClusterSettings.Devices.Cuda, Env(worker, ClusterSettings.Keys.Worker.Device));

        // No gRPC service of its own any more: the gateway calls the worker grain through Orleans.
        Assert.Equal(new[] { "http", "silo" }, PortNames(worker).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(EnvNames(worker), n => n.Contains("Grpc", StringComparison.OrdinalIgnoreCase));

        // Ready once the model grain serves (/health), alive while the process answers (/alive), both on the HTTP port;
        // a model that loads slowly has minutes before liveness counts.
        var httpPort = Port(worker, "http");
        Assert.Equal(httpPort, Env(worker, ClusterSettings.Keys.Worker.HttpPort));
        Assert.Equal("0.0.0.0", Env(worker, ClusterSettings.Keys.Worker.BindAddress));
        foreach (var (probe, path) in new[] { ("readinessProbe", "/health"), ("livenessProbe", "/alive"), ("startupProbe", "/alive") })
        {
            Assert.Null(At(worker, $"{probe}.grpc"));
            Assert.Equal(path, Str(worker, $"{probe}.httpGet.path"));
            Assert.Equal(httpPort, Str(worker, $"{probe}.httpGet.port"));
        }

        var startup = MapAt(worker, "startupProbe");
        Assert.True(int.Parse((string)startup["periodSeconds"]) * int.Parse((string)startup["failureThreshold"]) >= 120);

        // Time to drain (Worker:DrainTimeout, 30 s) and leave the cluster before the pod is killed.
        Assert.True(int.Parse(Str(workers, "spec.template.spec.terminationGracePeriodSeconds")!) > 30);
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
        Assert.Equal(Env(fetch, "MODEL_FILE"), Env(worker, ClusterSettings.Keys.Worker.ModelPath));
        Assert.Contains(ListAt(workers, "spec.volumeClaimTemplates").Cast<Dictionary<object, object>>(), v => Str(v, "metadata.name") == "models");
    }

    [Fact]
    public void Workers_have_a_headless_Service_for_their_metrics_only()
    {
        // Prometheus finds every worker pod by this name (deploy/prometheus); nothing else goes through it.
        var service = _manifests.Single("Service", "worker");
        Assert.Equal("None", Str(service, "spec.clusterIP"));
        var port = Assert.Single(ListAt(service, "spec.ports").Cast<Dictionary<object, object>>());
        Assert.Equal("http", Str(port, "targetPort"));
        Assert.Equal("worker", Str(_manifests.Single("StatefulSet", "worker"), "spec.serviceName"));
    }

    [Fact]
    public void No_one_is_handed_worker_addresses_the_gateway_finds_workers_through_Orleans_membership()
    {
        foreach (var container in _manifests.Workloads().SelectMany(w => Containers(w)))
        {
            Assert.DoesNotContain(EnvNames(container), n =>
                n.StartsWith("services__", StringComparison.OrdinalIgnoreCase)
                || n.StartsWith("Gateway__Workers", StringComparison.OrdinalIgnoreCase)
                || n.Equals("Worker__AdvertisedEndpoint", StringComparison.OrdinalIgnoreCase));
        }

        foreach (var file in Directory.GetFiles(Committed, "*.yaml"))
        {
            // No worker pod's DNS name (worker-0.worker) appears anywhere.
            Assert.DoesNotMatch(@"worker-\d+\.worker", File.ReadAllText(file));
        }
    }

    [Fact]
    public void Every_silo_pod_joins_one_Orleans_cluster_through_Redis_and_advertises_its_own_pod_IP()
    {
        var silos = SiloWorkloads(_manifests).ToArray();
        Assert.Equal(new[] { "gateway", "worker" }, silos.Select(w => Str(w, "metadata.name")!).Order(StringComparer.Ordinal));
        foreach (var silo in silos)
        {
            AssertIsSilo(_manifests, silo);
        }
    }

    [Fact]
    public void Silo_pods_run_as_a_service_account_that_may_read_and_watch_pods_and_nothing_else()
    {
        var accountName = Str(_manifests.Single("ServiceAccount", "orleans-silo"), "metadata.name");
        foreach (var silo in SiloWorkloads(_manifests))
        {
            Assert.Equal(accountName, Str(silo, "spec.template.spec.serviceAccountName"));
        }

        AssertSiloAccess(_manifests, accountName!);
    }

    [Fact]
    public async Task Every_worker_group_is_a_silo_of_the_same_cluster_with_its_own_model()
    {
        // Two models, two worker groups: rendered from a spec, since the default AppHost declares one model.
        var redis = new RedisSpec(ClusterSettings.RedisName, "redis:7.4.1", ClusterSettings.Ports.Redis);
        var silo = new SiloSpec(ClusterSettings.ClusterId, ClusterSettings.ServiceId, ClusterSettings.Ports.Silo, "orleans-silo", ClusterSettings.WorkerDirectory);
        WorkerGroupSpec Group(string name, string file) => new(
            name, "slmcluster/worker-cuda:0.1.0", 2, ClusterSettings.Devices.Cuda, null, 8,
            new ModelSpec(name, file, new Uri($"https://models.example/{file}"), new string('a', 64)), ClusterSettings.Ports.GatewayHttp);
        var spec = new KubernetesClusterSpec(KubernetesClusterSpec.DefaultNamespace, redis, silo,
            [Group("worker-stories", "stories260K.gguf"), Group("worker-smol", "smol.gguf")],
            new GatewaySpec("gateway", "slmcluster/gateway:0.1.0", ClusterSettings.Ports.GatewayGrpc, ClusterSettings.Ports.GatewayHttp));
        await InTemporaryDirectoryAsync("slm-k8s-groups-", async directory =>
        {
            await KubernetesManifestWriter.WriteAsync(spec, directory.FullName, CancellationToken.None);
            var manifests = Load(directory.FullName);

            Assert.Equal(3, SiloWorkloads(manifests).Count());
            foreach (var (name, file) in new[] { ("worker-stories", "stories260K.gguf"), ("worker-smol", "smol.gguf") })
            {
                var workers = manifests.Single("StatefulSet", name);
                AssertIsSilo(manifests, workers);
                Assert.Equal("orleans-silo", Str(workers, "spec.template.spec.serviceAccountName"));
                Assert.Equal($"/models/{file}", Env(Assert.Single(Containers(workers)), ClusterSettings.Keys.Worker.ModelPath));
                manifests.Single("Service", name);
                manifests.Single("PodDisruptionBudget", name);
            }

            AssertIsSilo(manifests, manifests.Single("Deployment", "gateway"));
            AssertSiloAccess(manifests, "orleans-silo");
        });
    }

    [Fact]
    public async Task A_cascade_with_a_flagship_API_is_published_with_its_key_from_a_Secret()
    {
        await InTemporaryDirectoryAsync("slm-k8s-cascade-", async output =>
        {
            await PublishAsync(output.FullName, "--flagship-url", "https://provider.example/v1", "--flagship-model", "big-model",
                "--flagship-input-price", "2.5", "--flagship-output-price", "10", "--cascade-min-mean-logprob", "-0.8");
            var manifests = Load(output.FullName);
            var gateway = Assert.Single(Containers(manifests.Single("Deployment", "gateway")));
            var route = $"{ClusterSettings.Keys.Gateway.CascadeRoute("auto")}__Tiers";

            // The published model is the first tier, judged; the flagship is the last.
            Assert.Equal("stories260K", Env(gateway, $"{route}__0__Model"));
            Assert.Equal("-0.8", Env(gateway, $"{route}__0__Accept__MinMeanLogprob"));
            Assert.Equal("https://provider.example/v1", Env(gateway, $"{route}__1__External__BaseUrl"));
            Assert.Equal("big-model", Env(gateway, $"{route}__1__External__Model"));
            Assert.Equal("2.5", Env(gateway, $"{route}__1__External__InputUsdPerMillionTokens"));
            Assert.Equal("10", Env(gateway, $"{route}__1__External__OutputUsdPerMillionTokens"));

            // The key is never a value in a manifest: the team creates the Secret.
            var key = EnvVar(gateway, $"{route}__1__External__ApiKey");
            Assert.NotNull(key);
            Assert.False(key!.ContainsKey("value"));
            Assert.Equal(GatewaySpec.FlagshipSecret, Str(key, "valueFrom.secretKeyRef.name"));
            Assert.Equal(GatewaySpec.FlagshipSecretKey, Str(key, "valueFrom.secretKeyRef.key"));
        });
    }

    [Fact]
    public void The_gateway_is_a_Deployment_with_grpc_and_http_ports_an_autoscaler_and_a_disruption_budget()
    {
        var deployment = _manifests.Single("Deployment", "gateway");
        var gateway = Assert.Single(Containers(deployment));
        var service = _manifests.Single("Service", "gateway");
        var ports = ListAt(service, "spec.ports").Cast<Dictionary<object, object>>().Select(p => Str(p, "name")).ToArray();
        Assert.Equal(new[] { "grpc", "http" }, ports);
        Assert.Equal(new[] { "grpc", "http", "silo" }, PortNames(gateway));
        Assert.Equal(Port(gateway, "grpc"), Str(gateway, "readinessProbe.grpc.port"));
        Assert.Equal(Port(gateway, "grpc"), Str(gateway, "livenessProbe.grpc.port"));
        Assert.NotNull(At(gateway, "resources.requests.cpu"));
        Assert.NotNull(At(gateway, "resources.limits.memory"));
        Assert.Contains("$(REDIS_PASSWORD)", Env(gateway, ClusterSettings.Keys.ConnectionString(ClusterSettings.RedisName)));

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
        foreach (var workload in _manifests.OfKind("StatefulSet").Concat(_manifests.OfKind("Deployment")).Where(w => Str(w, "metadata.name") != ClusterSettings.RedisName))
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
        await InTemporaryDirectoryAsync("slm-k8s-cpu-", async directory =>
        {
            await PublishAsync(directory.FullName, "--device", ClusterSettings.Devices.Cpu);

            var manifests = Load(directory.FullName);
            var workers = manifests.Single("StatefulSet", "worker");
            var worker = Assert.Single(Containers(workers));
            AssertIsSilo(manifests, workers);
            Assert.False(MapAt(worker, "resources.limits").ContainsKey("nvidia.com/gpu"));
            Assert.Equal(ClusterSettings.Devices.Cpu, Env(worker, ClusterSettings.Keys.Worker.Device));
            Assert.Equal(Str(worker, "resources.requests.cpu"), Env(worker, ClusterSettings.Keys.Worker.Threads));
        });
    }

    [Fact]
    public async Task Adapters_are_fetched_and_verified_beside_their_model_and_named_to_the_workers()
    {
        string sqlSha = new('b', 64), chatSha = new('c', 64);
        await InTemporaryDirectoryAsync("slm-k8s-lora-", async directory =>
        {
            await PublishAsync(directory.FullName,
                "--adapter", $"SQL_v2=hf://acme/sql-lora/adapter.gguf@{sqlSha}", "--adapter", $"chat=hf://acme/chat-lora/adapter.gguf@{chatSha}");

            var workers = Load(directory.FullName).Single("StatefulSet", "worker");
            var worker = Assert.Single(Containers(workers));
            var fetches = Containers(workers, "initContainers").ToArray();
            Assert.Equal(3, fetches.Length);
            Assert.Equal(Env(worker, ClusterSettings.Keys.Worker.ModelPath), Env(fetches[0], "MODEL_FILE"));
            foreach (var (i, name, sha, container) in new[] { (0, "SQL_v2", sqlSha, "fetch-adapter-0-sql-v2"), (1, "chat", chatSha, "fetch-adapter-1-chat") })
            {
                var fetch = fetches[i + 1];
                Assert.Equal(container, Str(fetch, "name"));
                Assert.Equal(sha, Env(fetch, "MODEL_SHA256"));
                Assert.StartsWith("https://", Env(fetch, "MODEL_URL"));
                Assert.Contains("sha256sum -c", string.Join(' ', ListAt(fetch, "command")));
                Assert.Equal(name, Env(worker, ClusterSettings.Keys.Worker.AdapterName(i)));
                // Both files are called adapter.gguf upstream: the adapter's name keeps them apart in the volume.
                Assert.Equal($"/models/adapter-{name}-adapter.gguf", Env(fetch, "MODEL_FILE"));
                Assert.Equal(Env(fetch, "MODEL_FILE"), Env(worker, ClusterSettings.Keys.Worker.AdapterPath(i)));
            }
        });
    }

    [Fact]
    public async Task An_adapter_the_init_container_cannot_download_and_verify_is_refused_at_publish()
    {
        await InTemporaryDirectoryAsync("slm-k8s-lora-local-", async directory =>
        {
            var (exitCode, output) = await TryPublishAsync(directory.FullName, "--adapter", "sql=/srv/adapters/sql.gguf");

            Assert.NotEqual(0, exitCode);
            Assert.Contains("'sql=/srv/adapters/sql.gguf' is not", output);
            Assert.Empty(directory.GetFiles());
        });
    }

    /// <summary>Every workload but Redis's runs an Orleans silo: the gateway and each worker group.</summary>
    private static IEnumerable<Dictionary<object, object>> SiloWorkloads(ManifestSet manifests) =>
        manifests.Workloads().Where(w => Str(w, "metadata.name") != ClusterSettings.RedisName);

    /// <summary>
    /// What the services read to join the cluster (see docs/deploy.md): the silo port, the cluster and service ids
    /// (also as Orleans' pod labels, which its Kubernetes agent selects silo pods by), membership and the worker
    /// grain directory in the Redis the pod has a connection string for, the pod's name, namespace and IP, and that IP
    /// as the advertised address.
    /// </summary>
    private static void AssertIsSilo(ManifestSet manifests, Dictionary<object, object> workload)
    {
        var name = Str(workload, "metadata.name");
        var container = Containers(workload).First();

        var siloPort = ClusterSettings.Ports.Silo.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(siloPort, Port(container, "silo"));
        Assert.Equal(siloPort, Env(container, ClusterSettings.Keys.Orleans.SiloPort));
        Assert.Equal("0", Env(container, ClusterSettings.Keys.Orleans.GatewayPort));

        var labels = MapAt(workload, "spec.template.metadata.labels");
        foreach (var (key, id, label, variable) in new[]
        {
            (ClusterSettings.Keys.Orleans.ClusterId, ClusterSettings.ClusterId, "orleans/clusterId", ClusterSettings.Keys.Orleans.KubernetesClusterId),
            (ClusterSettings.Keys.Orleans.ServiceId, ClusterSettings.ServiceId, "orleans/serviceId", ClusterSettings.Keys.Orleans.KubernetesServiceId),
        })
        {
            var value = Env(container, key);
            Assert.Equal(id, value);
            Assert.Equal(value, Env(container, variable));
            Assert.Equal(value, labels[label]);
        }

        foreach (var provider in new[] { ClusterSettings.Keys.Orleans.Clustering, ClusterSettings.Keys.Orleans.GrainDirectory(ClusterSettings.WorkerDirectory) })
        {
            Assert.Equal(ClusterSettings.RedisProvider, Env(container, ClusterSettings.Keys.Orleans.ProviderType(provider)));
            var connection = Env(container, ClusterSettings.Keys.Orleans.ConnectionName(provider));
            var connectionString = Env(container, ClusterSettings.Keys.ConnectionString(connection!));
            Assert.Contains("$(REDIS_PASSWORD)", connectionString);
            Assert.StartsWith($"{connection}:", connectionString);
            manifests.Single("Service", connection!);
        }

        foreach (var (variable, field) in new[]
        {
            ("POD_NAME", "metadata.name"), ("POD_NAMESPACE", "metadata.namespace"), ("POD_IP", "status.podIP"),
            (ClusterSettings.Keys.Orleans.AdvertisedIPAddress, "status.podIP"),
        })
        {
            var env = EnvVar(container, variable);
            Assert.True(env is not null, $"{name} has no {variable}");
            Assert.Equal(field, Str(env!, "valueFrom.fieldRef.fieldPath"));
        }
    }

    /// <summary>The account is bound to a Role that reads, lists and watches pods in the namespace, and may do nothing else.</summary>
    private static void AssertSiloAccess(ManifestSet manifests, string account)
    {
        manifests.Single("ServiceAccount", account);
        var binding = Assert.Single(manifests.OfKind("RoleBinding"));
        var subject = Assert.Single(ListAt(binding, "subjects").Cast<Dictionary<object, object>>());
        Assert.Equal("ServiceAccount", Str(subject, "kind"));
        Assert.Equal(account, Str(subject, "name"));
        Assert.Equal(KubernetesClusterSpec.DefaultNamespace, Str(subject, "namespace"));
        Assert.Equal("Role", Str(binding, "roleRef.kind"));
        Assert.Equal("rbac.authorization.k8s.io", Str(binding, "roleRef.apiGroup"));

        var role = manifests.Single("Role", Str(binding, "roleRef.name")!);
        var rule = Assert.Single(ListAt(role, "rules").Cast<Dictionary<object, object>>());
        Assert.Equal(new[] { "" }, ListAt(rule, "apiGroups").Cast<string>());
        Assert.Equal(new[] { "pods" }, ListAt(rule, "resources").Cast<string>());
        Assert.Equal(new[] { "get", "list", "watch" }, ListAt(rule, "verbs").Cast<string>().Order(StringComparer.Ordinal));
        Assert.Empty(manifests.OfKind("ClusterRole"));
        Assert.Empty(manifests.OfKind("ClusterRoleBinding"));
    }

    private static string? Env(Dictionary<object, object> container, string name) =>
        ListAt(container, "env").Cast<Dictionary<object, object>>().Where(e => Str(e, "name") == name).Select(e => Str(e, "value")).SingleOrDefault();

    private static string? Port(Dictionary<object, object> container, string name) =>
        ListAt(container, "ports").Cast<Dictionary<object, object>>().Where(p => Str(p, "name") == name).Select(p => Str(p, "containerPort")).Single();
}

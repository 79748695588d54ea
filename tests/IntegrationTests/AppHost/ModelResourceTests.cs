using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using SlmCluster.IntegrationTests.Infrastructure;

namespace SlmCluster.IntegrationTests.AppHost;

/// <summary>
/// The model is a resource of the AppHost: a file that cannot be had, or one whose checksum differs, fails it with a
/// message a person can act on, and no worker starts.
/// </summary>
public sealed class ModelResourceTests
{
    [Fact]
    public async Task A_missing_model_fails_its_resource_saying_where_it_looked_and_no_worker_starts()
    {
        var (app, _, _) = await AspireClusterTests.StartAsync("--model", "no-such-model.gguf", "--workers", "1");
        await using var _ = app;

        var log = await FailedModelLogAsync(app);

        Assert.Contains("no-such-model.gguf", log);
        Assert.Contains("Looked in", log);
        Assert.Contains("SLM_MODELS_DIR", log);
        await AssertNoWorkerRunningAsync(app);
    }

    [Fact]
    public async Task A_downloaded_model_whose_checksum_differs_is_refused_and_not_kept()
    {
        var models = Directory.CreateTempSubdirectory("slm-models-");
        try
        {
            await using var server = await ModelFileServer.StartAsync(TestPaths.Model("stories260K.gguf"), "owner/repo/resolve/main/tiny-stories.gguf");
            var wrong = new string('a', 64);
            var (app, _, _) = await AspireClusterTests.StartAsync(
                "--models-dir", models.FullName, "--model", "hf://owner/repo/tiny-stories.gguf", "--model-sha256", wrong, "--model-base-url", server.BaseUrl.ToString(), "--workers", "1");
            await using var _ = app;

            var log = await FailedModelLogAsync(app);

            Assert.Contains("Refusing", log);
            Assert.Contains(wrong, log);
            Assert.Contains("270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d", log);
            Assert.Empty(models.GetFiles());
            await AssertNoWorkerRunningAsync(app);
        }
        finally
        {
            models.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Each_model_is_checked_against_its_own_checksum_in_the_order_given()
    {
        var models = Directory.CreateTempSubdirectory("slm-models-");
        try
        {
            await using var server = await ModelFileServer.StartAsync(TestPaths.Model("stories260K.gguf"), "owner/repo/resolve/main/tiny-stories.gguf");
            const string firstModelSha = "e06e68395e91403236577da2e4de6f90420a431355fb485d9e7f37bdd70de7bc";
            var wrong = new string('b', 64);
            // The second model is downloaded: before each model had its own checksum, it had none and was refused
            // for that; now it is refused for the one given with it, and the first model, checked against its own,
            // is ready.
            var (app, _, _) = await AspireClusterTests.StartAsync(
                "--models-dir", models.FullName,
                "--model", TestPaths.Model("tinystories-656k-q8_0.gguf"), "--model-sha256", firstModelSha,
                "--model", "hf://owner/repo/tiny-stories.gguf", "--model-sha256", wrong,
                "--model-base-url", server.BaseUrl.ToString(), "--workers", "1", "--no-cascade");
            await using var _ = app;

            var log = await FailedModelLogAsync(app, "model-2");

            Assert.Contains("Refusing", log);
            Assert.Contains(wrong, log);
            using var ready = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            await app.ResourceNotifications.WaitForResourceAsync("model", KnownResourceStates.Running, ready.Token);
        }
        finally
        {
            models.Delete(recursive: true);
        }
    }

    /// <summary>Waits for the model resource to fail, then returns what it logged.</summary>
    private static async Task<string> FailedModelLogAsync(DistributedApplication app, string resource = "model")
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await app.ResourceNotifications.WaitForResourceAsync(resource, KnownResourceStates.FailedToStart, cancel.Token);
        var lines = new List<string>();
        var logs = app.Services.GetRequiredService<ResourceLoggerService>();
        using var enough = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await foreach (var batch in logs.WatchAsync(resource).WithCancellation(enough.Token))
            {
                lines.AddRange(batch.Select(l => l.Content));
                if (lines.Any(l => l.Contains("Looked in", StringComparison.Ordinal) || l.Contains("Refusing", StringComparison.Ordinal)))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // What was logged so far is what the assertions see.
        }

        return string.Join('\n', lines);
    }

    private static async Task AssertNoWorkerRunningAsync(DistributedApplication app)
    {
        // Workers wait for their model: one that cannot be had leaves them waiting, never running. The orchestrator
        // replays each resource's latest state first; a few seconds of it are enough to see every worker's.
        var states = new Dictionary<string, string?>();
        using var seen = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            await foreach (var e in app.ResourceNotifications.WatchAsync(seen.Token))
            {
                if (e.Resource.Name == "worker")
                {
                    states[e.ResourceId] = e.Snapshot.State?.Text;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        Assert.NotEmpty(states);
        Assert.DoesNotContain(KnownResourceStates.Running, states.Values);
    }
}

using System.Text.Json;
using SlmCluster.Eval;
using SlmCluster.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace SlmCluster.IntegrationTests;

/// <summary>
/// <c>./build.sh eval</c> (<see cref="EvalCommand"/>) on the shipped set against real processes: the cascade cluster's
/// gateway (stories260K, TinyStories-656K and the route <c>confident</c> over them) as the candidates, and its
/// provider gateway, an external OpenAI-compatible endpoint behind an API key, serving TinyStories-656K as the reference.
/// </summary>
public sealed class EvalCommandTests(CascadeClusterFixture cluster, ITestOutputHelper output) : IClassFixture<CascadeClusterFixture>, IDisposable
{
    private const string KeyVariable = "SLM_EVAL_TEST_REFERENCE_KEY";
    private readonly string _out = Directory.CreateTempSubdirectory("slm-eval-").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    [Fact]
    public async Task Writes_a_report_of_every_candidate_and_the_cascade_sweep_without_the_key()
    {
        Environment.SetEnvironmentVariable(KeyVariable, CascadeClusterFixture.ProviderKey);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var rc = await EvalCommand.RunAsync([
            "--set", Path.Combine(TestPaths.RepoRoot, "eval", "examples", "stories.jsonl"),
            "--gateway", cluster.Gateway.HttpAddress.ToString(),
            "--candidate", CascadeClusterFixture.SmallModel, "--candidate", CascadeClusterFixture.LargeModel, "--candidate", "confident",
            "--reference", CascadeClusterFixture.LargeModel,
            "--reference-url", new Uri(cluster.Provider.HttpAddress, "v1").ToString(),
            "--reference-key-env", KeyVariable, "--reference-price", "2.5,10",
            "--cascade", "confident", CascadeClusterFixture.SmallModel, CascadeClusterFixture.LargeModel,
            "--target", "0.5", "--max-items", "16", "--out", _out,
        ], stdout, stderr, CancellationToken.None);
        output.WriteLine(stdout.ToString());
        output.WriteLine(stderr.ToString());
        Assert.Equal(0, rc);

        var json = Assert.Single(Directory.GetFiles(_out, "eval-*.json"));
        var stem = json[..^".json".Length];
        Assert.True(File.Exists(stem + ".md") && File.Exists(stem + ".html"));
        foreach (var file in new[] { stem + ".md", stem + ".json", stem + ".html" })
        {
            Assert.DoesNotContain(CascadeClusterFixture.ProviderKey, await File.ReadAllTextAsync(file), StringComparison.Ordinal);
        }

        Assert.DoesNotContain(CascadeClusterFixture.ProviderKey, stdout + stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("<svg", await File.ReadAllTextAsync(stem + ".html"), StringComparison.Ordinal);

        var report = JsonDocument.Parse(await File.ReadAllTextAsync(json)).RootElement;
        Assert.Equal(16, report.GetProperty("items").GetInt32());
        var candidates = report.GetProperty("candidates").EnumerateArray().ToDictionary(c => c.GetProperty("candidate").GetString()!);
        Assert.Equal(["confident", CascadeClusterFixture.SmallModel, CascadeClusterFixture.LargeModel], candidates.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, c) in candidates)
        {
            Assert.Equal(16, c.GetProperty("items").GetInt32());
            Assert.Equal(0, c.GetProperty("errors").GetInt32());
            foreach (var metric in new[] { "f1", "rouge_l", "exact_match" })
            {
                Assert.InRange(c.GetProperty("agreement").GetProperty(metric).GetDouble(), 0, 1);
            }

            Assert.InRange(c.GetProperty("accuracy").GetDouble(), 0, 1);
            Assert.True(c.GetProperty("cost_usd").GetDouble() >= 0, name);
            var p50 = c.GetProperty("latency_p50_ms").GetDouble();
            Assert.True(p50 > 0 && p50 <= c.GetProperty("latency_p99_ms").GetDouble(), name);
            Assert.InRange(c.GetProperty("escalated_share").GetDouble(), 0, 1);
        }

        // The same model, greedy, on the cluster and behind the external endpoint: the reference agrees with itself.
        Assert.Equal(1, candidates[CascadeClusterFixture.LargeModel].GetProperty("agreement").GetProperty("f1").GetDouble(), 6);
        Assert.Equal(1, candidates[CascadeClusterFixture.LargeModel].GetProperty("agreement").GetProperty("exact_match").GetDouble(), 6);
        // A model alone never escalates; `confident` accepts every real answer of its first tier.
        Assert.Equal(0, candidates[CascadeClusterFixture.SmallModel].GetProperty("escalated_share").GetDouble());

        var sweep = report.GetProperty("sweep");
        var points = sweep.GetProperty("points").EnumerateArray().ToArray();
        Assert.True(points.Length >= 2);
        Assert.All(points, p => Assert.InRange(p.GetProperty("agreement").GetDouble(), 0, 1));
        // Escalating everything answers as the large model: full agreement with the reference, at the highest cost.
        var all = points[^1];
        Assert.Equal(1, all.GetProperty("escalated_share").GetDouble());
        Assert.Equal(1, all.GetProperty("agreement").GetDouble(), 6);
        Assert.Equal(JsonValueKind.Object, sweep.GetProperty("suggested").ValueKind);
        Assert.Equal(JsonValueKind.Object, sweep.GetProperty("held_out_half").ValueKind);
        Assert.Contains("Held-out check", await File.ReadAllTextAsync(stem + ".md"), StringComparison.Ordinal);
    }
}

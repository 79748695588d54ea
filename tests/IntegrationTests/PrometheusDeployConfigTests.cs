using System.Text.Json;
using System.Text.RegularExpressions;
using SlmCluster.IntegrationTests.Infrastructure;

namespace SlmCluster.IntegrationTests;

/// <summary>deploy/prometheus and deploy/grafana: accepted by promtool, and the dashboard shows what the web dashboard shows.</summary>
public sealed partial class PrometheusDeployConfigTests
{
    private static string Deploy(params string[] parts) => Path.Combine([TestPaths.RepoRoot, "deploy", .. parts]);

    [Fact]
    public async Task The_scrape_configuration_passes_promtool_check_config()
    {
        var (exitCode, output) = await Promtool.RunAsync(null, "check", "config", Deploy("prometheus", "prometheus.yml"));

        Assert.True(exitCode == 0, output);
        Assert.DoesNotContain("WARNING", output);
    }

    [Fact]
    public async Task The_alert_rules_pass_promtool_check_rules_and_cover_the_five_alerts()
    {
        var path = Deploy("prometheus", "alerts.yml");
        var (exitCode, output) = await Promtool.RunAsync(null, "check", "rules", path);

        Assert.True(exitCode == 0, output);
        Assert.Contains("SUCCESS: 5 rules found", output);
        var rules = await File.ReadAllTextAsync(path);
        foreach (var alert in new[] { "SlmWorkerDown", "SlmWorkerQueueSaturated", "SlmHighErrorRatio", "SlmHighP99Latency", "SlmShadowAgreementLow" })
        {
            Assert.Contains($"alert: {alert}", rules);
        }
    }

    [Fact]
    public async Task The_drift_alert_fires_when_agreement_stays_low_for_its_window_and_not_on_too_few_pairs()
    {
        // deploy/prometheus/alerts.test.yml: a route at 0.3 F1 for an hour fires, one at 0.9 does not, nor a route with too few pairs.
        var (exitCode, output) = await Promtool.RunAsync(null, "test", "rules", Deploy("prometheus", "alerts.test.yml"));

        Assert.True(exitCode == 0, output);
        Assert.Contains("SUCCESS", output);
    }

    [Fact]
    public async Task The_Grafana_dashboard_has_the_web_dashboards_panels_over_the_exported_metrics()
    {
        using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Deploy("grafana", "slmcluster-dashboard.json")));
        var panels = dashboard.RootElement.GetProperty("panels").EnumerateArray().ToArray();
        var titles = panels.Select(p => p.GetProperty("title").GetString()!).ToArray();
        var expressions = string.Join('\n', panels.SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()));

        foreach (var title in new[] { "Requests/s", "Tokens/s", "Latency percentiles", "Cache hit ratio", "Cost so far (self-hosted)", "Money saved vs $api", "Workers",
                     "Cascade: share answered by each tier", "Cascade: money saved vs last tier only",
                     "Shadow: agreement with the reference by route and metric", "Shadow: agreement beside money saved",
                     "Adapters: requests/s by adapter", "Adapters: tokens/s by adapter", "Adapters: cost so far by adapter" })
        {
            Assert.Contains(title, titles);
        }

        // Every metric a panel queries is one the services export.
        var exported = new[]
        {
            "slm_requests_total", "slm_request_duration_seconds_bucket", "slm_time_to_first_token_seconds_bucket", "slm_completion_tokens_total",
            "slm_prompt_tokens_total", "slm_cache_hits_total", "slm_cache_misses_total", "slm_cost_usd_total", "slm_reference_api_cost_usd_total",
            "slm_workers", "slm_worker_slots", "slm_worker_active_sequences", "slm_worker_queue_depth", "slm_worker_kv_cache_usage_ratio",
            "slm_cascade_requests_total", "slm_cascade_cost_usd_total", "slm_cascade_last_tier_cost_usd_total",
            "slm_shadow_agreement_sum", "slm_shadow_agreement_count", "slm_shadow_requests_total", "slm_shadow_cost_usd_total",
        };
        foreach (Match metric in MetricName().Matches(expressions))
        {
            Assert.Contains(metric.Value, exported);
        }
    }

    [GeneratedRegex(@"\bslm_[a-z_]+")]
    private static partial Regex MetricName();
}

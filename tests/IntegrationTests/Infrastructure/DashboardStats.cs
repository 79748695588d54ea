using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>The gateway's <c>/api/stats</c> as the dashboard reads it: the workers it routes to, by state.</summary>
internal sealed record DashboardStats(
    [property: JsonPropertyName("workers")] IReadOnlyList<DashboardStats.Worker> Workers,
    [property: JsonPropertyName("cascade")] IReadOnlyList<DashboardStats.Route>? Routes = null,
    [property: JsonPropertyName("adapters")] IReadOnlyList<DashboardStats.AdapterTotals>? Adapters = null)
{
    /// <summary>The cascade routes' summaries (none when the gateway has no route).</summary>
    [JsonIgnore]
    public IReadOnlyList<Route> Cascade => Routes ?? [];

    public static async Task<DashboardStats> ReadAsync(int httpPort)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        return await http.GetFromJsonAsync<DashboardStats>($"http://127.0.0.1:{httpPort}/api/stats")
            ?? throw new InvalidOperationException("The gateway answered /api/stats with nothing.");
    }

    /// <summary>Polls until <paramref name="done"/> holds for the stats; returns the time it took.</summary>
    public static async Task<TimeSpan> WaitAsync(int httpPort, Func<DashboardStats, bool> done, TimeSpan timeout)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            if (done(await ReadAsync(httpPort)))
            {
                return watch.Elapsed;
            }

            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"The gateway's stats did not reach the expected state in {timeout.TotalSeconds} s: {System.Text.Json.JsonSerializer.Serialize(await ReadAsync(httpPort))}");
            }

            await Task.Delay(50);
        }
    }

    internal sealed record Worker(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("model")] string? Model,
        [property: JsonPropertyName("state")] string State,
        [property: JsonPropertyName("activations")] int Activations,
        [property: JsonPropertyName("adapters")] IReadOnlyList<string>? Adapters = null);

    internal sealed record AdapterTotals(
        [property: JsonPropertyName("adapter")] string Adapter,
        [property: JsonPropertyName("model")] string Model,
        [property: JsonPropertyName("requests")] long Requests,
        [property: JsonPropertyName("completion_tokens")] long CompletionTokens,
        [property: JsonPropertyName("cost_usd")] double CostUsd);

    internal sealed record Route(
        [property: JsonPropertyName("route")] string Name,
        [property: JsonPropertyName("requests")] long Requests,
        [property: JsonPropertyName("escalated")] long Escalated,
        [property: JsonPropertyName("cost_usd")] double CostUsd,
        [property: JsonPropertyName("last_tier_cost_usd")] double LastTierCostUsd,
        [property: JsonPropertyName("saved_usd")] double SavedUsd);
}

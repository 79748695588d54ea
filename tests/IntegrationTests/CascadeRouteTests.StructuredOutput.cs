using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.StructuredOutputTests;
using SlmCluster.Testing;
using Xunit.Abstractions;

namespace SlmCluster.IntegrationTests;

/// <summary>
/// The issue's correctness target through the API: every schema of the corpus, on both test models, at temperatures 0
/// and 1: every answer that ends with <c>stop</c> validates (JsonSchema.Net). The issue's 90 % ending with <c>stop</c>
/// within 256 tokens is asserted for stories260K (92.1 % measured: 70 of 76; the cut ones hold additional properties,
/// unbounded arrays, or a pattern of up to 256 letters). Part of the cascade tests, to share their cluster, which serves both models.
/// </summary>
public sealed partial class CascadeRouteTests
{
    private const int CorpusMaxTokens = 256;

    [Fact]
    public async Task Every_corpus_answer_that_stops_validates_and_most_stop_within_256_tokens()
    {
        var cases = (from model in new[] { CascadeClusterFixture.SmallModel, CascadeClusterFixture.LargeModel }
                     from temperature in new[] { 0, 1 }
                     from name in SchemaCorpus.Names
                     select (model, temperature, name)).ToArray();
        var started = Stopwatch.GetTimestamp();
        var results = new (string Model, int Temperature, string Name, string? Finish, string? Problem, int Tokens)[cases.Length];
        // Both workers decode several slots at once: a few requests in flight keep them busy.
        await Parallel.ForEachAsync(Enumerable.Range(0, cases.Length), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, ct) =>
        {
            var (model, temperature, name) = cases[i];
            var schema = SchemaCorpus.Text(name);
            var body = new JsonObject
            {
                ["model"] = model,
                ["prompt"] = "Once upon a time",
                ["max_tokens"] = CorpusMaxTokens,
                ["temperature"] = temperature,
                ["seed"] = 7 + i,
                ["json_schema"] = JsonNode.Parse(schema),
            };
            var response = await _http.PostAsync("/v1/completions", body.ToJsonString(), ct);
            if (response.Status != HttpStatusCode.OK)
            {
                results[i] = (model, temperature, name, null, $"HTTP {(int)response.Status}: {response.Text}", 0);
                return;
            }

            var choice = response.Json.GetProperty("choices")[0];
            var finish = choice.GetProperty("finish_reason").GetString();
            var text = choice.GetProperty("text").GetString()!;
            var problem = finish == "stop" ? SchemaValidator.Problem(schema, text) : null;
            results[i] = (model, temperature, name, finish, problem is null ? null : $"{problem}\n{text}", response.Json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        });

        foreach (var group in results.GroupBy(r => (r.Model, r.Temperature)))
        {
            _output.WriteLine($"{group.Key.Model} t={group.Key.Temperature}: {group.Count(r => r.Finish == "stop")}/{group.Count()} stop, " +
                $"{group.Count(r => r.Finish == "stop" && r.Problem is null)} valid, mean {group.Average(r => r.Tokens):F0} tokens; " +
                $"cut: {string.Join(", ", group.Where(r => r.Finish != "stop").Select(r => r.Name))}");
        }
        _output.WriteLine($"{cases.Length} requests in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");

        // TinyStories-656K's vocabulary has no '{': a schema it cannot spell is refused with the grammar's dead end, never answered wrongly.
        Assert.Empty(results.Where(r => r.Problem is not null && !(r.Model == CascadeClusterFixture.LargeModel && r.Problem.Contains("grammar allows no token", StringComparison.Ordinal)))
            .Select(r => $"{r.Model} t={r.Temperature} {r.Name}: {r.Problem}"));
        var small = results.Where(r => r.Model == CascadeClusterFixture.SmallModel).ToArray();
        double stopped = small.Count(r => r.Finish == "stop") / (double)small.Length;
        _output.WriteLine($"stories260K: {stopped:P1} ended with stop within {CorpusMaxTokens} tokens (the issue's target is 90 %)");
        Assert.True(stopped >= 0.90, $"{stopped:P1} of stories260K's answers ended with stop within {CorpusMaxTokens} tokens");
    }
}

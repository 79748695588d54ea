using System.CommandLine;
using System.Globalization;
using SlmCluster.Evaluation;

namespace SlmCluster.Eval;

/// <summary>
/// <c>./build.sh eval</c>: runs a JSONL set through candidate models and routes of a running gateway and through a
/// reference (a model or route of the same gateway, or an external OpenAI-compatible endpoint whose key is read from
/// an environment variable, never from the command line), scores every answer (<see cref="AnswerAgreement"/>) and
/// writes the report as Markdown, JSON and an HTML chart of cost against agreement. With <c>--cascade</c>, sweeps a
/// two-tier route's acceptance threshold and suggests the cheapest one meeting <c>--target</c>.
/// </summary>
public static class EvalCommand
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        var set = new Option<FileInfo>("--set") { Description = "The JSONL set: one {\"prompt\"|\"messages\", \"expected\"?, \"schema\"?, \"max_tokens\"?} per line", Required = true };
        var gateway = new Option<string>("--gateway") { Description = "The gateway's HTTP address", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var candidates = new Option<string[]>("--candidate") { Description = "A model or cascade route to evaluate (repeat for more)", Required = true, AllowMultipleArgumentsPerToken = true };
        var reference = new Option<string>("--reference") { Description = "The reference: a model or route of the gateway, or the external endpoint's model with --reference-url", Required = true };
        var referenceUrl = new Option<string?>("--reference-url") { Description = "An external OpenAI-compatible base URL (…/v1) serving the reference" };
        var referenceKeyEnv = new Option<string?>("--reference-key-env") { Description = "The environment variable holding the external reference's API key" };
        var referencePrice = new Option<string?>("--reference-price") { Description = "The external reference's USD per million tokens, input,output (e.g. 2.5,10)" };
        var apiKeyEnv = new Option<string?>("--api-key-env") { Description = "The environment variable holding the gateway's API key, if it needs one" };
        var cascade = new Option<string[]?>("--cascade") { Description = "Sweep a two-tier route: ROUTE FIRST_MODEL LAST_MODEL", Arity = new ArgumentArity(3, 3), AllowMultipleArgumentsPerToken = true };
        var target = new Option<double>("--target") { Description = "The agreement the suggested threshold must meet", DefaultValueFactory = _ => 0.8 };
        var metric = new Option<string>("--metric") { Description = "The agreement metric the sweep and chart use (f1, rouge_l, exact_match)", DefaultValueFactory = _ => "f1" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "max_tokens of items that give none", DefaultValueFactory = _ => 32 };
        var maxItems = new Option<int?>("--max-items") { Description = "Evaluate only the set's first N items (a quick run)" };
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Where the report goes", DefaultValueFactory = _ => new DirectoryInfo("eval-results") };
        var root = new RootCommand("Evaluate candidate models and routes against a reference before switching")
        {
            set, gateway, candidates, reference, referenceUrl, referenceKeyEnv, referencePrice, apiKeyEnv, cascade, target, metric, maxTokens, maxItems, outDir,
        };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await errors.WriteLineAsync("error: " + error.Message);
            }

            return 2;
        }

        if (args.Contains("--help") || args.Contains("-h"))
        {
            return await parsed.InvokeAsync(cancellationToken: cancellationToken);
        }

        var metricLabel = parsed.GetValue(metric)!;
        if (!AgreementMetrics.All.Select(AgreementMetrics.Label).Contains(metricLabel))
        {
            await errors.WriteLineAsync($"error: --metric {metricLabel} is not one of {string.Join(", ", AgreementMetrics.All.Select(AgreementMetrics.Label))}");
            return 2;
        }

        (double, double)? price = null;
        if (parsed.GetValue(referencePrice) is { } priceText)
        {
            var parts = priceText.Split(',');
            if (parts.Length != 2 || !double.TryParse(parts[0], CultureInfo.InvariantCulture, out var input) || !double.TryParse(parts[1], CultureInfo.InvariantCulture, out var outputPrice))
            {
                await errors.WriteLineAsync("error: --reference-price takes INPUT,OUTPUT in USD per million tokens, e.g. 2.5,10");
                return 2;
            }

            price = (input, outputPrice);
        }

        IReadOnlyList<EvalItem> items;
        try
        {
            items = EvalItem.ReadSet(parsed.GetValue(set)!.FullName);
            if (parsed.GetValue(maxItems) is { } max)
            {
                if (max < 1)
                {
                    await errors.WriteLineAsync("error: --max-items must be at least 1");
                    return 2;
                }

                items = [.. items.Take(max)];
            }
        }
        catch (Exception e) when (e is FormatException or IOException)
        {
            await errors.WriteLineAsync("error: " + e.Message);
            return 2;
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
        var gatewayUrl = parsed.GetValue(gateway)!.TrimEnd('/') + "/v1";
        var asker = new GatewayAsker(http, gatewayUrl, Env(parsed.GetValue(apiKeyEnv)));
        var referenceAsker = parsed.GetValue(referenceUrl) is { } url ? new GatewayAsker(http, url, Env(parsed.GetValue(referenceKeyEnv)), price) : asker;
        var run = new EvalRun(items, parsed.GetValue(maxTokens), metricLabel);
        try
        {
            var report = await run.RunAsync(parsed.GetValue(set)!.Name, asker, referenceAsker, parsed.GetValue(reference)!, parsed.GetValue(candidates)!,
                parsed.GetValue(cascade) is [var route, var first, var last] ? (route, first, last) : null, parsed.GetValue(target), output, cancellationToken);
            var stem = ReportWriter.Write(report, parsed.GetValue(outDir)!.FullName, metricLabel);
            await output.WriteLineAsync(ReportWriter.Markdown(report, metricLabel));
            await output.WriteLineAsync($"wrote {stem}.md, {stem}.json and {stem}.html");
            return 0;
        }
        catch (HttpRequestException e)
        {
            await errors.WriteLineAsync($"error: the gateway at {gatewayUrl} could not be reached: {e.Message}");
            return 1;
        }
    }

    private static string? Env(string? name) => string.IsNullOrEmpty(name) ? null : Environment.GetEnvironmentVariable(name);
}

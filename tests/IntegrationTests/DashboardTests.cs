using Microsoft.Playwright;
using SlmCluster.IntegrationTests.Infrastructure;

namespace SlmCluster.IntegrationTests;

/// <summary>The web dashboard in a real headless Chromium: it lists the workers and the playground streams an answer, shaped by a schema when given one.</summary>
[Collection(ObservedClusterCollection.Name)]
public sealed class DashboardTests(ObservedClusterFixture cluster)
{
    public static string ScreenshotPath => Path.Combine(TestPaths.RepoRoot, "tests", "IntegrationTests", "TestResults", "dashboard.png");

    [Fact]
    public async Task Dashboard_lists_the_workers_and_the_playground_streams_an_answer()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await HeadlessChromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 1100 } });
        page.SetDefaultTimeout(20_000);

        await page.GotoAsync(cluster.GatewayHttp.ToString());

        var worker = page.Locator("#workers tbody tr.worker");
        await worker.First.WaitForAsync();
        var cells = await worker.First.Locator("td").AllInnerTextsAsync();
        Assert.Equal(ObservedClusterFixture.WorkerName, cells[0]);
        Assert.Equal(ObservedClusterFixture.ModelId, cells[1]);
        Assert.Equal("–", cells[2]); // no adapters loaded
        Assert.Equal(ClusterSettings.Devices.Cpu, cells[3]);
        Assert.Equal("serving", cells[4]);
        Assert.Equal("2", cells[6]);
        // A serving worker has answered a status call: the silo round trip it took is shown.
        Assert.Matches(@"^\d+\.\d\d ms$", cells[8]);
        Assert.True(await page.Locator("#adapters").IsHiddenAsync(), "no request ran under an adapter");
        Assert.Equal("live", await page.Locator("#connection").InnerTextAsync());

        await page.WaitForFunctionAsync("document.querySelectorAll('#model option').length > 0");
        Assert.Equal(ObservedClusterFixture.ModelId, await page.Locator("#model").InputValueAsync());
        await page.Locator("#prompt").FillAsync("Once upon a time, a little girl named Lily");
        await page.Locator("#max-tokens").FillAsync("48");
        await page.Locator("#send").ClickAsync();
        await page.WaitForFunctionAsync("['done', 'error'].includes(document.getElementById('playground-status').dataset.state)");

        var status = await page.Locator("#playground-status").InnerTextAsync();
        Assert.StartsWith("done", status);
        var output = await page.Locator("#output").InnerTextAsync();
        Assert.False(string.IsNullOrWhiteSpace(output), "the playground showed no text");
        // The text arrived as a stream: several server-sent events, each appended as it came.
        var pieces = int.Parse(await page.Locator("#output").GetAttributeAsync("data-pieces") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(pieces > 1, $"the answer came in {pieces} piece(s)");
        Assert.Contains("vs", status);

        // The totals now count the playground's request, and the rates have two polls to compare.
        await page.WaitForFunctionAsync("Number(document.getElementById('requests').textContent) > 0");
        await page.WaitForFunctionAsync("document.getElementById('rps').textContent !== '–'");
        Directory.CreateDirectory(Path.GetDirectoryName(ScreenshotPath)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = ScreenshotPath, FullPage = true });
    }

    [Fact]
    public async Task The_playground_sends_a_JSON_schema_and_shows_an_answer_that_validates_against_it()
    {
        const string Schema = """{"type":"object","properties":{"pet":{"enum":["cat","dog"]},"age":{"type":"integer","minimum":1,"maximum":9}},"required":["pet","age"]}""";
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await HeadlessChromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync();
        page.SetDefaultTimeout(20_000);
        await page.GotoAsync(cluster.GatewayHttp.ToString());
        await page.WaitForFunctionAsync("document.querySelectorAll('#model option').length > 0");

        await page.Locator("#schema").FillAsync(Schema);
        await page.Locator("#max-tokens").FillAsync("64");
        await page.Locator("#send").ClickAsync();
        await page.WaitForFunctionAsync("['done', 'error'].includes(document.getElementById('playground-status').dataset.state)");

        var status = await page.Locator("#playground-status").InnerTextAsync();
        Assert.Contains("JSON that follows the schema", status);
        Assert.Null(SlmCluster.Testing.SchemaValidator.Problem(Schema, await page.Locator("#output").InnerTextAsync()));
    }
}

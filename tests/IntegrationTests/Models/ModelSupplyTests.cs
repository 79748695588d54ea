using SlmCluster.AppHost.Hosting.Models;
using SlmCluster.IntegrationTests.Infrastructure;

namespace SlmCluster.IntegrationTests.Models;

/// <summary>hf:// references downloaded through the AppHost's model supply from a local server in the hub's layout.</summary>
public sealed class ModelSupplyTests : IAsyncLifetime
{
    private const string Sha256 = "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d";
    private const string Reference = "hf://test-owner/tiny-models/stories260K.gguf";
    private readonly string _modelsDirectory = Path.Combine(Path.GetTempPath(), $"slm-models-{Guid.NewGuid():N}");
    private readonly string _source = TestPaths.Model("stories260K.gguf");
    private ModelFileServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await ModelFileServer.StartAsync(_source, "test-owner/tiny-models/resolve/main/stories260K.gguf");

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        if (Directory.Exists(_modelsDirectory))
        {
            Directory.Delete(_modelsDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task A_reference_is_downloaded_once_into_the_models_folder_and_verified()
    {
        var path = await ResolveAsync(Sha256);

        Assert.Equal(Path.Combine(_modelsDirectory, "stories260K.gguf"), path);
        Assert.Equal(await File.ReadAllBytesAsync(_source), await File.ReadAllBytesAsync(path));
        Assert.False(File.Exists(path + ".part"));

        var again = await ResolveAsync(Sha256);
        Assert.Equal(path, again);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task An_interrupted_download_is_resumed_with_a_range_request()
    {
        _server.BreakNextTransfers(1);

        var path = await ResolveAsync(Sha256);

        Assert.Equal(await File.ReadAllBytesAsync(_source), await File.ReadAllBytesAsync(path));
        var requests = _server.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Equal("", requests[0]);
        var resumedFrom = long.Parse(requests[1]["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(resumedFrom, 1, new FileInfo(_source).Length - 1);
    }

    [Fact]
    public async Task A_part_left_by_an_earlier_run_is_resumed_where_it_stopped()
    {
        Directory.CreateDirectory(_modelsDirectory);
        var content = await File.ReadAllBytesAsync(_source);
        await File.WriteAllBytesAsync(Path.Combine(_modelsDirectory, "stories260K.gguf.part"), content[..400_000]);

        var path = await ResolveAsync(Sha256);

        Assert.Equal(content, await File.ReadAllBytesAsync(path));
        Assert.Equal(new[] { "bytes=400000-" }, _server.Requests.ToArray());
    }

    [Fact]
    public async Task A_checksum_mismatch_is_refused_and_leaves_nothing_to_load()
    {
        var wrong = new string('0', 64);

        var error = await Assert.ThrowsAsync<ModelSupplyException>(() => ResolveAsync(wrong));

        Assert.Contains(Sha256, error.Message);
        Assert.Contains(wrong, error.Message);
        Assert.Empty(Directory.GetFiles(_modelsDirectory));
    }

    [Fact]
    public async Task A_downloaded_reference_without_a_checksum_is_refused_before_anything_is_fetched()
    {
        var error = await Assert.ThrowsAsync<ModelSupplyException>(() => ResolveAsync(sha256: null));

        Assert.Contains("--model-sha256", error.Message);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task A_file_already_in_the_models_folder_with_another_checksum_is_refused()
    {
        Directory.CreateDirectory(_modelsDirectory);
        await File.WriteAllTextAsync(Path.Combine(_modelsDirectory, "stories260K.gguf"), "not a model");

        var error = await Assert.ThrowsAsync<ModelSupplyException>(() => ResolveAsync(Sha256));

        Assert.Contains("SHA-256", error.Message);
        Assert.Empty(_server.Requests);
    }

    private async Task<string> ResolveAsync(string? sha256)
    {
        using var http = new HttpClient();
        var supply = new ModelSupply(_modelsDirectory, repoRoot: _modelsDirectory, _server.BaseUrl.ToString(), new ModelDownloader(http));
        return await supply.ResolveAsync(ModelReference.Parse(Reference, sha256), CancellationToken.None);
    }
}

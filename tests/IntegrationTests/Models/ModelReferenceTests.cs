using SlmCluster.AppHost.Hosting.Models;

namespace SlmCluster.IntegrationTests.Models;

/// <summary>How <c>--model</c> is understood: a name, a path, or a Hugging Face reference.</summary>
public sealed class ModelReferenceTests
{
    private const string Sha256 = "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d";

    [Fact]
    public void A_hub_reference_is_downloaded_from_the_hubs_layout_or_from_the_configured_base_url()
    {
        var model = ModelReference.Parse("hf://bartowski/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct-Q4_K_M.gguf", Sha256.ToUpperInvariant());

        Assert.Equal("SmolLM2-135M-Instruct-Q4_K_M.gguf", model.FileName);
        Assert.Equal(Sha256, model.Sha256);
        Assert.Equal("https://huggingface.co/bartowski/SmolLM2-135M-Instruct-GGUF/resolve/main/SmolLM2-135M-Instruct-Q4_K_M.gguf",
            model.DownloadUri(null).ToString());
        Assert.Equal("http://127.0.0.1:9000/bartowski/SmolLM2-135M-Instruct-GGUF/resolve/main/SmolLM2-135M-Instruct-Q4_K_M.gguf",
            model.DownloadUri("http://127.0.0.1:9000/").ToString());
    }

    [Theory]
    [InlineData("hf://owner/model.gguf")]
    [InlineData("hf://owner/repo/model.bin")]
    [InlineData("hf://owner/repo/../model.gguf")]
    [InlineData("hf://owner//model.gguf")]
    public void A_reference_that_is_not_owner_repo_file_gguf_is_refused(string source)
    {
        var error = Assert.Throws<ArgumentException>(() => ModelReference.Parse(source, Sha256));
        Assert.Contains("hf://owner/repo/file.gguf", error.Message);
    }

    [Fact]
    public void A_checksum_that_is_not_64_hex_digits_is_refused()
    {
        Assert.Throws<ArgumentException>(() => ModelReference.Parse("hf://owner/repo/model.gguf", "abc"));
    }

    [Fact]
    public void The_default_model_is_known_by_name_so_it_can_be_downloaded_and_verified()
    {
        var model = ModelReference.Parse("stories260K.gguf", null);

        Assert.True(model.IsDownloadable);
        Assert.False(model.IsPath);
        Assert.Equal(Sha256, model.Sha256);
    }

    [Fact]
    public void A_path_is_a_local_file_that_is_never_downloaded()
    {
        var model = ModelReference.Parse("/data/models/stories260K.gguf", null);

        Assert.True(model.IsPath);
        Assert.False(model.IsDownloadable);
        Assert.Equal("stories260K.gguf", model.FileName);
    }
}

namespace SlmCluster.AppHost.Hosting.Models;

/// <summary>Models the project names by file alone (the local default), with where they are published and their SHA-256.</summary>
internal static class KnownModels
{
    private static readonly (string FileName, string HubPath, string Sha256)[] Models =
    [
        // Karpathy's 260K-parameter TinyStories model (llama2.c "tinyllamas", MIT), as llama.cpp's CI fetches it.
        ("stories260K.gguf", "ggml-org/models/tinyllamas/stories260K.gguf", "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d"),
    ];

    public static (string HubPath, string Sha256)? Find(string fileName) =>
        Models.Where(m => m.FileName == fileName).Select(m => ((string, string)?)(m.HubPath, m.Sha256)).FirstOrDefault();
}

using SlmCluster.Contracts;
using SlmCluster.Gateway.Caching;

namespace SlmCluster.UnitTests.Gateway;

/// <summary>An embedding is kept per model file, pooling, dimensions, truncation and input: each tells two keys apart.</summary>
public sealed class EmbeddingCacheKeyTests
{
    private static readonly EmbeddingCallInput Input = new() { Text = "Once upon a time" };

    private static string Key(string pooling = "mean", int dimensions = 0, bool truncate = false, string sha = "sha", EmbeddingCallInput? input = null) =>
        EmbeddingCacheKey.For("stories260K", sha, pooling, new EmbeddingCall { Model = "stories260K", Dimensions = dimensions, Truncate = truncate }, input ?? Input, "p:");

    [Fact]
    public void The_same_input_pooled_another_way_has_another_key()
    {
        string[] keys =
        [
            Key(),
            Key(pooling: "cls"),
            Key(pooling: "last"),
            Key(dimensions: 16),
            Key(truncate: true),
            Key(sha: "other"),
            Key(input: new EmbeddingCallInput { Text = "Once upon a time." }),
            Key(input: new EmbeddingCallInput { Tokens = [1, 2, 3] }),
        ];

        Assert.Equal(keys.Length, keys.Distinct().Count());
        Assert.Equal(Key(), keys[0]);
        Assert.StartsWith("p:", keys[0], StringComparison.Ordinal);
    }
}

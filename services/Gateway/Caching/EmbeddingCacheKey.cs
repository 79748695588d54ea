using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using SlmCluster.Contracts;

namespace SlmCluster.Gateway.Caching;

/// <summary>
/// The cache key of one embedded input: a SHA-256 over a tag that keeps it apart from generation keys, the model id
/// and its file's SHA-256, the pooling its workers embed with (the same file pooled another way gives other vectors),
/// the dimensions asked for, whether truncation was allowed, and the input (its text, or its token ids), each
/// length-prefixed. One key per input, so a batch that repeats earlier inputs embeds only the new ones.
/// </summary>
public static class EmbeddingCacheKey
{
    public static string For(string model, string modelSha256, string pooling, EmbeddingCall call, EmbeddingCallInput input, string prefix)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var number = new byte[8];
        void Int(long value)
        {
            BinaryPrimitives.WriteInt64LittleEndian(number, value);
            hash.AppendData(number);
        }

        void Text(string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            Int(bytes.Length);
            hash.AppendData(bytes);
        }

        // v2: the pooling joined the key; v1 entries, pooled who knows how, are never read.
        Text("embedding:v2");
        Text(model);
        Text(modelSha256);
        Text(pooling);
        Int(call.Dimensions);
        Int(call.Truncate ? 1 : 0);
        if (input.Tokens is { } tokens)
        {
            Int(-1 - tokens.Count);
            foreach (var token in tokens)
            {
                Int(token);
            }
        }
        else
        {
            Text(input.Text);
        }

        return prefix + Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

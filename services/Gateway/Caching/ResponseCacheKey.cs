using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Caching;

/// <summary>
/// The cache key of a request: a SHA-256 over everything that determines the answer — the model id
/// and its file's SHA-256, the prompt or each chat turn (the model's template is fixed by its file),
/// the sampling parameters, max_tokens, the stop strings and ignore_eos, then logprobs and top_logprobs when logprobs
/// are asked for — each length-prefixed, so no two different requests share an encoding.
/// </summary>
public static class ResponseCacheKey
{
    /// <summary>
    /// Only answers that are reproducible are cached: greedy decoding (temperature 0) or an explicit seed.
    /// </summary>
    public static bool IsCacheable(GenerateRequest request) =>
        request.Cache is not { Bypass: true }
        && (request.Sampling is null || request.Sampling.Temperature == 0 || request.Sampling.HasSeed);

    /// <summary>The key for <paramref name="request"/> (its model already resolved), under <paramref name="prefix"/>.</summary>
    public static string For(GenerateRequest request, string modelSha256, string prefix)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Text(string value)
        {
            Int(Encoding.UTF8.GetByteCount(value));
            hash.AppendData(Encoding.UTF8.GetBytes(value));
        }

        void Int(long value)
        {
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
            hash.AppendData(bytes);
        }

        var sampling = request.Sampling ?? new SamplingParams();
        Text(request.Model);
        Text(modelSha256);
        Text(request.Prompt);
        Int(request.Messages.Count);
        foreach (var message in request.Messages)
        {
            Text(message.Role);
            Text(message.Content);
        }

        Int(BitConverter.SingleToInt32Bits(sampling.Temperature));
        Int(BitConverter.SingleToInt32Bits(sampling.TopP));
        Int(sampling.TopK);
        Int(sampling.HasSeed ? sampling.Seed : -1L);
        Int(request.MaxTokens);
        Int(request.Stop.Count);
        foreach (var stop in request.Stop)
        {
            Text(stop);
        }

        Int(request.IgnoreEos ? 1 : 0);
        // Appended only when asked for: the answer then carries logprobs, so it must not share a key with the same
        // request without them (nor with other top_logprobs). Requests without logprobs keep the keys they had.
        if (request.Logprobs || request.TopLogprobs > 0)
        {
            Int(1);
            Int(request.TopLogprobs);
        }

        return prefix + Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

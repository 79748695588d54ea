using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using SlmCluster.Gateway.Serving;

namespace SlmCluster.Gateway.Caching;

/// <summary>
/// The cache key of a request: a SHA-256 over everything that determines the answer — the model id
/// and its file's SHA-256, the prompt or each chat turn (the model's template is fixed by its file),
/// the sampling parameters, max_tokens, the stop strings and ignore_eos, then logprobs and top_logprobs when logprobs
/// are asked for, then the grammar, the penalties and the logit biases when there are any, then the tools and the tool choice when there are tools, then the LoRA adapters (name, scale, file) when there are any — each length-prefixed, so no two different requests share an encoding.
/// </summary>
public static class ResponseCacheKey
{
    /// <summary>
    /// Only answers that are reproducible are cached: greedy decoding (temperature 0) or an explicit seed.
    /// </summary>
    public static bool IsCacheable(ServingRequest request) =>
        !request.BypassCache && (request.Call.Temperature == 0 || request.Call.Seed is not null);

    /// <summary>The key for <paramref name="request"/> (its model already resolved), under <paramref name="prefix"/>.</summary>
    /// <param name="adapterSha256">The files of the call's adapters, in the call's order; their names and scales are keyed with them.</param>
    public static string For(ServingRequest request, string modelSha256, string prefix, IReadOnlyList<string>? adapterSha256 = null)
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

        var call = request.Call;
        var messages = call.Messages ?? [];
        Text(call.Model);
        Text(modelSha256);
        Text(call.Prompt ?? "");
        Int(messages.Count);
        foreach (var message in messages)
        {
            Text(message.Role);
            Text(message.Content);
        }

        Int(BitConverter.SingleToInt32Bits(call.Temperature));
        Int(BitConverter.SingleToInt32Bits(call.TopP));
        Int(call.TopK);
        Int(call.Seed ?? -1L);
        Int(call.MaxTokens);
        Int(call.Stop.Count);
        foreach (var stop in call.Stop)
        {
            Text(stop);
        }

        Int(call.IgnoreEndOfSequence ? 1 : 0);
        // Appended only when asked for: the answer then carries logprobs, so it must not share a key with the same
        // request without them (nor with other top_logprobs). Requests without logprobs keep the keys they had.
        if (call.Logprobs)
        {
            Int(1);
            Int(call.TopLogprobs);
        }

        // The grammar decides the answer's shape; appended only when there is one, so other requests keep their keys.
        if (call.Grammar is { } grammar)
        {
            Int(2);
            Text(grammar);
        }

        // Penalties and biases change the answer; each is appended only when sent, so other requests keep their keys.
        void Float(int tag, float? value)
        {
            if (value is { } v)
            {
                Int(tag);
                Int(BitConverter.SingleToInt32Bits(v));
            }
        }

        Float(3, call.PresencePenalty);
        Float(4, call.FrequencyPenalty);
        Float(5, call.RepeatPenalty);
        if (call.RepeatLastN is { } window)
        {
            Int(6);
            Int(window);
        }

        if (call.LogitBias is { Count: > 0 } biases)
        {
            Int(7);
            Int(biases.Count);
            foreach (var (token, bias) in biases.OrderBy(b => b.Key))
            {
                Int(token);
                Int(BitConverter.SingleToInt32Bits(bias));
            }
        }

        // The tools decide whether the answer is calls, and whose: appended only when a request has them, as the grammar.
        if (request.Tools is { } tools)
        {
            Int(8);
            Int(tools.Tools.Count);
            foreach (var tool in tools.Tools)
            {
                Text(tool.Name);
                Text(tool.Description);
                Text(tool.Parameters);
            }

            Int((int)tools.Mode);
            Text(tools.Named ?? "");
            Int(tools.Parallel ? 1 : 0);
        }

        // The adapters and their scales change the answer; appended only when there are any, as the grammar.
        if (call.Adapters is { Count: > 0 } adapters)
        {
            Int(9);
            Int(adapters.Count);
            for (var i = 0; i < adapters.Count; i++)
            {
                Text(adapters[i].Name);
                Int(BitConverter.SingleToInt32Bits(adapters[i].Scale));
                Text(adapterSha256 is not null && i < adapterSha256.Count ? adapterSha256[i] : "");
            }
        }

        return prefix + Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using SlmCluster.Gateway.Serving;

namespace SlmCluster.Gateway.Routing;

/// <summary>What the router needs to know about a request: its model and what ties it to a worker's KV cache.</summary>
/// <param name="Model">Only workers serving this model are candidates.</param>
/// <param name="SessionKey">A conversation id (gRPC <c>session_id</c>, OpenAI <c>user</c>); empty when none.</param>
/// <param name="PrefixKey">A hash of the prompt's opening, so requests sharing it meet the same cached prefix; 0 when none.</param>
/// <param name="AdapterKey">The LoRA adapters it runs with, names sorted and joined by '+'; empty for the base model.</param>
public readonly record struct RouteRequest(string Model, string SessionKey, ulong PrefixKey, string AdapterKey = "")
{
    /// <summary>The <see cref="AdapterKey"/> of the adapters a call names (those at scale 0 leave it: they change nothing).</summary>
    public static string AdapterKeyOf(IReadOnlyList<Contracts.AdapterSelection>? adapters) =>
        adapters is { Count: > 0 }
            ? string.Join('+', adapters.Where(a => a.Scale != 0f).Select(a => a.Name).Order(StringComparer.Ordinal))
            : "";

    /// <summary>
    /// Keys a request by its session and by the opening of its prompt: the first
    /// <paramref name="prefixCharacters"/> characters of a prompt, or of a chat's first message
    /// (its system prompt or first question), which stays the same as the conversation grows.
    /// </summary>
    public static RouteRequest For(ServingRequest request, int prefixCharacters)
    {
        var call = request.Call;
        var opening = call.Messages is { Count: > 0 } messages ? messages[0].Content : call.Prompt ?? "";
        var adapters = AdapterKeyOf(call.Adapters);
        // A prefix cached under one adapter set is another set's miss: the key tells them apart.
        var prefix = opening.Length >= Math.Min(prefixCharacters, 32)
            ? Hash(opening.AsSpan(0, Math.Min(opening.Length, prefixCharacters))) ^ (adapters.Length > 0 ? Hash(adapters) : 0UL)
            : 0UL;
        return new RouteRequest(request.Model, request.SessionId, prefix, adapters);
    }

    private static ulong Hash(ReadOnlySpan<char> text)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(MemoryMarshal.AsBytes(text), digest);
        return BinaryPrimitives.ReadUInt64LittleEndian(digest);
    }
}

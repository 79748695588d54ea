using System.Globalization;

namespace SlmCluster.Inference;

/// <summary>
/// The adapters (and scales) a request runs with, in a canonical order: what llama.cpp's context is set to while the
/// request's tokens are decoded, what its cached KV entries were computed under, and the group the scheduler runs it
/// in. Two requests with equal <see cref="Key"/>s can share a decode and a prefix.
/// </summary>
internal sealed class AdapterSet
{
    /// <summary>The base model alone.</summary>
    public static readonly AdapterSet None = new("", [], []);

    private AdapterSet(string key, IntPtr[] handles, float[] scales)
    {
        Key = key;
        Handles = handles;
        Scales = scales;
    }

    /// <summary>"name*scale" per adapter, sorted by name; empty for the base.</summary>
    public string Key { get; }

    public IntPtr[] Handles { get; }

    public float[] Scales { get; }

    public bool IsBase => Handles.Length == 0;

    /// <summary>
    /// The set for <paramref name="choices"/> over the engine's <paramref name="loaded"/> adapters: scale 0 leaves an
    /// adapter out (as llama.cpp does), so it is the base's set. Unknown names, repeated names and scales out of range are
    /// the caller's error.
    /// </summary>
    public static AdapterSet Resolve(IReadOnlyList<AdapterChoice>? choices, IReadOnlyDictionary<string, LoraAdapter> loaded, string modelName)
    {
        if (choices is not { Count: > 0 })
        {
            return None;
        }
        var picked = new SortedDictionary<string, (LoraAdapter Adapter, float Scale)>(StringComparer.Ordinal);
        foreach (AdapterChoice choice in choices)
        {
            if (choice is null || string.IsNullOrEmpty(choice.Name))
            {
                throw new InferenceException(InferenceErrorKind.InvalidArgument, "an adapter choice has no name");
            }
            if (!loaded.TryGetValue(choice.Name, out LoraAdapter? adapter))
            {
                throw new InferenceException(InferenceErrorKind.InvalidArgument,
                    $"model {modelName} has no adapter '{choice.Name}' here" +
                    (loaded.Count == 0 ? " (it serves none)" : $"; it serves {string.Join(", ", loaded.Keys.Order(StringComparer.Ordinal))}"));
            }
            if (!float.IsFinite(choice.Scale) || Math.Abs(choice.Scale) > AdapterChoice.MaxScale)
            {
                throw new InferenceException(InferenceErrorKind.InvalidArgument,
                    $"adapter '{choice.Name}' has scale {choice.Scale}; a scale is from -{AdapterChoice.MaxScale} to {AdapterChoice.MaxScale}");
            }
            if (picked.ContainsKey(choice.Name))
            {
                throw new InferenceException(InferenceErrorKind.InvalidArgument, $"adapter '{choice.Name}' is chosen twice");
            }
            picked[choice.Name] = (adapter, choice.Scale);
        }
        var kept = picked.Where(p => p.Value.Scale != 0f).ToArray();
        if (kept.Length == 0)
        {
            return None;
        }
        string key = string.Join(';', kept.Select(p => p.Key + "*" + p.Value.Scale.ToString("R", CultureInfo.InvariantCulture)));
        return new AdapterSet(key, kept.Select(p => p.Value.Adapter.Handle).ToArray(), kept.Select(p => p.Value.Scale).ToArray());
    }

    public override string ToString() => IsBase ? "(base)" : Key;
}

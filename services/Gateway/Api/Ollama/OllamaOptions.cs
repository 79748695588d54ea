using System.Globalization;
using System.Text.Json;

namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>
/// Ollama's <c>options</c> as the gateway honours them. Every option Ollama documents is named here: the sampling
/// ones are mapped; those that only change how Ollama runs a model (threads, GPU layers, mmap) change no answer and are
/// accepted; those that would change the answer in a way this gateway does not serve are refused unless their value
/// changes nothing; an option nobody knows is refused by name.
/// </summary>
internal sealed record OllamaOptions
{
    /// <summary>Ollama's defaults where a request leaves them out, so an answer samples as Ollama's would.</summary>
    public const float DefaultTemperature = 0.8f;

    public const int DefaultTopK = 40;

    public const float DefaultTopP = 0.9f;

    /// <summary>Options about where and how Ollama runs a model; no answer depends on them.</summary>
    private static readonly HashSet<string> RuntimeOnly =
    [
        "num_thread", "num_gpu", "main_gpu", "num_batch", "num_keep", "low_vram", "f16_kv", "logits_all", "use_mmap",
        "use_mlock", "numa",
    ];

    /// <summary>Options that shape sampling only together with another that is refused unless neutral.</summary>
    private static readonly HashSet<string> OnlyWithRefused = ["penalize_newline", "mirostat_tau", "mirostat_eta"];

    public static OllamaOptions None { get; } = new();

    /// <summary><c>num_predict</c>; null takes the gateway's default (also for -1, Ollama's "until the model stops").</summary>
    public int? NumPredict { get; init; }

    public float Temperature { get; init; } = DefaultTemperature;

    public int TopK { get; init; } = DefaultTopK;

    public float TopP { get; init; } = DefaultTopP;

    /// <summary>Null (or a negative seed, as Ollama reads it): a random one.</summary>
    public uint? Seed { get; init; }

    public string[] Stop { get; init; } = [];

    /// <summary>Penalties as the request sent them; null applies none (the serving rules check their ranges).</summary>
    public float? RepeatPenalty { get; init; }

    public int? RepeatLastN { get; init; }

    public float? PresencePenalty { get; init; }

    public float? FrequencyPenalty { get; init; }

    /// <summary>The context the caller asked for; the handler holds it against the model's own.</summary>
    public int? NumCtx { get; init; }

    /// <exception cref="InvalidOllamaRequestException">An option refused, unknown, or of the wrong type.</exception>
    public static OllamaOptions Read(JsonElement? options)
    {
        if (options is null or { ValueKind: JsonValueKind.Null })
        {
            return None;
        }

        if (options.Value.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidOllamaRequestException("'options' must be an object, such as {\"temperature\": 0, \"num_predict\": 64}.");
        }

        var read = None;
        foreach (var option in options.Value.EnumerateObject())
        {
            var value = option.Value;
            if (value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            var name = option.Name;
            read = name switch
            {
                "num_predict" => read with { NumPredict = ReadNumPredict(Integer(name, value)) },
                "temperature" => read with { Temperature = NonNegative(name, value) },
                "top_k" => read with { TopK = (int)Math.Max(0, Integer(name, value)) },
                "top_p" => read with { TopP = NonNegative(name, value) },
                // The engine's seed is 32 bits; the low bits keep a larger one reproducible.
                "seed" => read with { Seed = Integer(name, value) is var seed and >= 0 ? unchecked((uint)seed) : null },
                "stop" => read with { Stop = ReadStop(value) },
                "num_ctx" => read with { NumCtx = (int)Positive(name, value) },
                "repeat_penalty" => read with { RepeatPenalty = (float)Number(name, value) },
                "repeat_last_n" => read with { RepeatLastN = (int)Math.Clamp(Integer(name, value), int.MinValue, int.MaxValue) },
                "presence_penalty" => read with { PresencePenalty = (float)Number(name, value) },
                "frequency_penalty" => read with { FrequencyPenalty = (float)Number(name, value) },
                "min_p" => Neutral(read, name, value, 0, "apply min-p sampling"),
                "typical_p" => Neutral(read, name, value, 1, "apply typical sampling"),
                "tfs_z" => Neutral(read, name, value, 1, "apply tail-free sampling"),
                "mirostat" => Neutral(read, name, value, 0, "apply mirostat sampling"),
                "vocab_only" when value.ValueKind == JsonValueKind.True =>
                    throw new InvalidOllamaRequestException("options.vocab_only true loads no weights, so nothing could be generated; leave it out."),
                _ when RuntimeOnly.Contains(name) || OnlyWithRefused.Contains(name) || name == "vocab_only" => read,
                _ => throw new InvalidOllamaRequestException(
                    $"options.{name} is not an option this gateway knows; the options served are num_predict, temperature, top_k, top_p, seed, stop, num_ctx, repeat_penalty, repeat_last_n, presence_penalty and frequency_penalty."),
            };
        }

        return read;
    }

    private static int? ReadNumPredict(long value) => value switch
    {
        -1 => null,
        -2 => throw new InvalidOllamaRequestException("options.num_predict -2 (fill the context) is not served; send a number of tokens, or -1."),
        < 1 => throw new InvalidOllamaRequestException($"options.num_predict is {value}; send at least 1 token, or -1 for the gateway's default."),
        > int.MaxValue => int.MaxValue,
        _ => (int)value,
    };

    private static OllamaOptions Neutral(OllamaOptions read, string name, JsonElement value, double neutral, string what) =>
        Number(name, value) == neutral
            ? read
            : throw new InvalidOllamaRequestException(
                $"options.{name} is {value.GetRawText()}; this gateway does not {what} yet. Leave it out or send {neutral.ToString(CultureInfo.InvariantCulture)}.");

    private static string[] ReadStop(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return [Text(value, "options.stop")];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidOllamaRequestException("options.stop must be an array of strings.");
        }

        var stops = new string[value.GetArrayLength()];
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            stops[i] = item.ValueKind == JsonValueKind.String
                ? Text(item, $"options.stop[{i}]")
                : throw new InvalidOllamaRequestException($"options.stop[{i}] is not a string; stop sequences are strings.");
            i++;
        }

        return stops;
    }

    private static double Number(string name, JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && double.IsFinite(number)
            ? number
            : throw new InvalidOllamaRequestException($"options.{name} is {value.GetRawText()}; it must be a number.");

    private static float NonNegative(string name, JsonElement value) => Number(name, value) is var number and >= 0
        ? (float)number
        : throw new InvalidOllamaRequestException($"options.{name} is {value.GetRawText()}; it must be 0 or more.");

    private static long Integer(string name, JsonElement value) => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var integer)
        ? integer
        : throw new InvalidOllamaRequestException($"options.{name} is {value.GetRawText()}; it must be a whole number.");

    private static long Positive(string name, JsonElement value) => Integer(name, value) is var integer and >= 1 and <= int.MaxValue
        ? integer
        : throw new InvalidOllamaRequestException($"options.{name} is {value.GetRawText()}; it must be a positive number of tokens.");

    /// <summary>A JSON string's text; an escaped lone surrogate (<c>"\ud800"</c>) is valid JSON but no text at all.</summary>
    internal static string Text(JsonElement value, string param)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOllamaRequestException($"'{param}' is not valid text: {e.Message}");
        }
    }
}

using Microsoft.Extensions.AI;

namespace SlmCluster.Client.Chat;

/// <summary>
/// Chooses LoRA adapters for a chat through <see cref="ChatOptions.AdditionalProperties"/> (sent as the request's
/// <c>adapters</c>). Naming an adapter as <see cref="ChatOptions.ModelId"/> also runs it, at scale 1.
/// </summary>
public static class SlmAdapterChatOptions
{
    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key the adapters are kept under.</summary>
    public const string PropertyKey = "slm.adapters";

    /// <summary>Runs the chat with <paramref name="adapters"/> on its model (replacing any chosen before); returns <paramref name="options"/>.</summary>
    public static ChatOptions WithAdapters(this ChatOptions options, params SlmAdapterChoice[] adapters)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(adapters);
        (options.AdditionalProperties ??= [])[PropertyKey] = adapters.ToArray();
        return options;
    }
}

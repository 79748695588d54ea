using System.Text.Json;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>
/// The fields <c>/v1/chat/completions</c> and <c>/v1/completions</c> share. Unknown fields are ignored; the fields
/// below the line are read only so that a value the gateway would not honour is refused instead of dropped
/// (<see cref="OpenAiUnsupportedFields"/>).
/// </summary>
public abstract class OpenAiGenerationRequest
{
    public string? Model { get; set; }

    public int? MaxTokens { get; set; }

    public double? Temperature { get; set; }

    public double? TopP { get; set; }

    /// <summary>Extension (llama-server and others): 0 disables top-k.</summary>
    public int? TopK { get; set; }

    public long? Seed { get; set; }

    /// <summary>A string or an array of strings.</summary>
    public JsonElement? Stop { get; set; }

    public int? N { get; set; }

    public bool? Stream { get; set; }

    public OpenAiStreamOptions? StreamOptions { get; set; }

    /// <summary>The end user; routes their requests back to the worker holding their KV cache.</summary>
    public string? User { get; set; }

    /// <summary>llama-server's extension: keep generating past end-of-sequence (benchmarks).</summary>
    public bool? IgnoreEos { get; set; }

    /// <summary><c>{"type": "text"}</c> (the default), <c>json_object</c> or <c>json_schema</c> (<see cref="OpenAiResponseFormat"/>).</summary>
    public JsonElement? ResponseFormat { get; set; }

    /// <summary>llama-server's raw GBNF grammar (start rule <c>root</c>); empty is none.</summary>
    public string? Grammar { get; set; }

    /// <summary>llama-server's JSON Schema the answer must follow.</summary>
    public JsonElement? JsonSchema { get; set; }

    /// <summary>-2 to 2; 0 is no penalty.</summary>
    public double? PresencePenalty { get; set; }

    /// <summary>-2 to 2; 0 is no penalty.</summary>
    public double? FrequencyPenalty { get; set; }

    /// <summary>Token id (as a string key) to a bias of -100 to 100 added to its logit.</summary>
    public JsonElement? LogitBias { get; set; }

    /// <summary>llama-server's repetition penalty; 1 is none.</summary>
    public double? RepeatPenalty { get; set; }

    /// <summary>llama-server: how many of the last tokens the penalties see; -1 is all, 0 turns them off.</summary>
    public int? RepeatLastN { get; set; }

    /// <summary>Function tools (<see cref="OpenAiTools"/>) on the chat endpoint; an empty array offers none.</summary>
    public JsonElement? Tools { get; set; }

    /// <summary><c>"none"</c>, <c>"auto"</c>, <c>"required"</c> or <c>{"type": "function", "function": {"name"}}</c>.</summary>
    public JsonElement? ToolChoice { get; set; }

    /// <summary>Whether one answer may hold several calls (default true); without tools it changes nothing.</summary>
    public bool? ParallelToolCalls { get; set; }

    /// <summary>llama-server's LoRA choice: <c>[{"id": 0 | "name": "...", "scale": 1.0}]</c>, besides an adapter named as the model.</summary>
    public JsonElement? Lora { get; set; }

    // Read to be refused unless their value changes nothing.

    /// <summary>The deprecated form of <see cref="Tools"/>.</summary>
    public JsonElement? Functions { get; set; }

    /// <summary>The deprecated form of <see cref="ToolChoice"/>.</summary>
    public JsonElement? FunctionCall { get; set; }

    /// <summary>vLLM's name for a repetition penalty; 1 is none.</summary>
    public double? RepetitionPenalty { get; set; }

    /// <summary>llama-server and vLLM: 0 is off.</summary>
    public double? MinP { get; set; }

    /// <summary>llama-server: 1 is off.</summary>
    public double? TypicalP { get; set; }

    /// <summary>llama-server: 0 is off.</summary>
    public int? Mirostat { get; set; }

    /// <summary>llama-server's DRY repetition penalty: 0 is off.</summary>
    public double? DryMultiplier { get; set; }

    /// <summary>llama-server's XTC sampler: 0 is off.</summary>
    public double? XtcProbability { get; set; }
}

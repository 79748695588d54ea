using SlmCluster.Contracts;
using SlmCluster.Gateway.Serving.Tools;

namespace SlmCluster.Gateway.Serving;

/// <summary>
/// One request as every front door hands it to the <see cref="ServingPipeline"/>: the worker's own
/// <see cref="GenerationCall"/> (what decides the answer) and what only the gateway uses (the conversation that routes
/// it, the cache's policy). Made by a front door's mapper through <see cref="ServingRequestRules.Normalize"/>, so the
/// rules about requests hold whichever door it came through.
/// </summary>
public sealed record ServingRequest
{
    /// <summary>What a worker generates from; its model is the one asked for (empty: the default) until resolved.</summary>
    public required GenerationCall Call { get; init; }

    /// <summary>A conversation id (gRPC <c>session_id</c>, OpenAI <c>user</c>) that routes back to the worker holding its KV cache.</summary>
    public string SessionId { get; init; } = "";

    /// <summary>The shape the answer must have (JSON, a schema, a grammar), or null for free text; made a grammar by the rules.</summary>
    public ResponseFormat? ResponseFormat { get; init; }

    /// <summary>The tools offered and how the model may use them, or null; rendered for the model by <see cref="ToolCallRules"/>.</summary>
    public ToolRequest? Tools { get; init; }

    /// <summary>What each of <see cref="GenerationCall.Messages"/> says beyond its text (earlier calls, results), by position; null when none does.</summary>
    public IReadOnlyList<ToolTurn?>? ToolTurns { get; init; }

    /// <summary>Never answer from, nor keep the answer in, the response cache.</summary>
    public bool BypassCache { get; init; }

    /// <summary>How long a kept answer lives; 0 takes the cache's default.</summary>
    public int CacheTtlSeconds { get; init; }

    /// <summary>
    /// LoRA adapters the request names besides its model id (llama-server's <c>lora</c>, gRPC <c>adapters</c>), by name
    /// or by position in the model's list; resolved into <see cref="GenerationCall.Adapters"/> with the model.
    /// </summary>
    public IReadOnlyList<AdapterReference>? Adapters { get; init; }

    public string Model => Call.Model;

    /// <summary>The same request for another model (a resolved id, or a cascade tier's model).</summary>
    public ServingRequest ForModel(string model) => this with { Call = Call with { Model = model } };
}

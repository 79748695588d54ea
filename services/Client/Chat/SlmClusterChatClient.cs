using System.Runtime.CompilerServices;
using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.AI;
using SlmCluster.Protocol.V1;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using WireChatMessage = SlmCluster.Protocol.V1.ChatMessage;

namespace SlmCluster.Client.Chat;

/// <summary>
/// An <see cref="IChatClient"/> over the gateway's <c>GenerateStream</c>: chat turns become the request's messages
/// (rendered with the model's chat template by the worker), text streams back as it is generated, and the closing
/// chunk gives finish reason, token usage and who served the answer. <see cref="ChatOptions.ResponseFormat"/> (JSON, or a
/// JSON Schema) and <see cref="ChatOptions.Tools"/> (functions, with <see cref="FunctionCallContent"/> and
/// <see cref="FunctionResultContent"/> in the turns) are the request's own fields, so
/// <c>FunctionInvokingChatClient</c> works over it.
/// </summary>
/// <remarks>
/// <see cref="ChatOptions.ConversationId"/> travels as the request's <c>session_id</c>, so a conversation goes back to
/// the worker that holds its KV cache. Cancelling the token cancels the call, which stops the generation on the worker.
/// </remarks>
public sealed class SlmClusterChatClient(Inference.InferenceClient inference, SlmClusterChatClientOptions? options = null) : IChatClient
{
    private readonly SlmClusterChatClientOptions _options = options ?? new SlmClusterChatClientOptions();

    /// <summary>What this client talks to; the default model id is the configured one (empty: the gateway's default).</summary>
    public ChatClientMetadata Metadata => new("slmcluster", providerUri: null, _options.DefaultModel);

    public Task<ChatResponse> GetResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = ToRequest(messages, options);
        var responseId = Guid.NewGuid().ToString("N");
        var callOptions = new CallOptions(
            headers: _options.ApiKey is { Length: > 0 } key ? new Metadata { { "authorization", "Bearer " + key } } : null,
            deadline: _options.Timeout is { } timeout ? DateTime.UtcNow + timeout : null,
            cancellationToken: cancellationToken);
        using var call = inference.GenerateStream(request, callOptions);
        var toolCalls = new ToolCallPieces();
        await foreach (var chunk in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            toolCalls.Add(chunk.ToolCalls);
            var update = new ChatResponseUpdate(ChatRole.Assistant, chunk.Text.Length > 0 ? chunk.Text : null)
            {
                ResponseId = responseId,
                MessageId = responseId,
                ModelId = chunk.Served?.Model is { Length: > 0 } served ? served : request.Model.Length > 0 ? request.Model : null,
                ConversationId = options?.ConversationId,
            };
            if (chunk.Usage is { } usage)
            {
                update.FinishReason = ToFinishReason(chunk.FinishReason);
                // A call is handed over whole, once its arguments are complete.
                foreach (var made in toolCalls.Calls)
                {
                    update.Contents.Add(new FunctionCallContent(made.Id, made.Name, Arguments(made.Arguments)));
                }

                update.Contents.Add(new UsageContent(new UsageDetails
                {
                    InputTokenCount = usage.PromptTokens,
                    OutputTokenCount = usage.CompletionTokens,
                    TotalTokenCount = usage.PromptTokens + usage.CompletionTokens,
                }));
                if (chunk.Served is { } servedBy)
                {
                    update.AdditionalProperties = new AdditionalPropertiesDictionary
                    {
                        ["slm.worker_id"] = servedBy.WorkerId,
                        ["slm.cache_hit"] = servedBy.CacheHit,
                        ["slm.cost_usd"] = servedBy.CostUsd,
                        ["slm.reference_api_cost_usd"] = servedBy.ReferenceApiCostUsd,
                    };
                }
            }
            else if (chunk.Text.Length == 0)
            {
                continue;
            }

            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(ChatClientMetadata))
        {
            return Metadata;
        }

        if (serviceType == typeof(Inference.InferenceClient))
        {
            return inference;
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose()
    {
        // The gRPC client is owned by whoever created it (the client factory, usually).
    }

    /// <summary>The gRPC request for a chat: every turn with its role, and the options that the wire contract has.</summary>
    internal GenerateRequest ToRequest(IEnumerable<AiChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var request = new GenerateRequest
        {
            Model = options?.ModelId ?? _options.DefaultModel ?? "",
            MaxTokens = options?.MaxOutputTokens ?? 0,
            SessionId = options?.ConversationId ?? "",
            Sampling = new SamplingParams
            {
                Temperature = options?.Temperature ?? _options.DefaultTemperature,
                TopP = options?.TopP ?? 0,
                TopK = options?.TopK ?? 0,
            },
        };
        if (options?.Seed is { } seed)
        {
            request.Sampling.Seed = unchecked((uint)seed);
        }

        if (options?.StopSequences is { } stops)
        {
            request.Stop.AddRange(stops);
        }

        foreach (var message in messages)
        {
            AddMessage(request, message);
        }

        AddFormat(request, options?.ResponseFormat);
        AddTools(request, options);
        AddAdapters(request, options);

        if (request.Messages.Count == 0)
        {
            throw new ArgumentException("A chat request needs at least one message.", nameof(messages));
        }

        return request;
    }

    /// <summary>The adapters <see cref="SlmAdapterChatOptions.WithAdapters"/> chose; anything else under its key is refused, not dropped.</summary>
    private static void AddAdapters(GenerateRequest request, ChatOptions? options)
    {
        if (options?.AdditionalProperties is null || !options.AdditionalProperties.TryGetValue(SlmAdapterChatOptions.PropertyKey, out var value) || value is null)
        {
            return;
        }

        if (value is not IEnumerable<SlmAdapterChoice> adapters)
        {
            throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{SlmAdapterChatOptions.PropertyKey}\"] must be set with WithAdapters (SlmAdapterChoice values).", nameof(options));
        }

        foreach (var adapter in adapters)
        {
            request.Adapters.Add(new AdapterChoice { Name = adapter.Name, Scale = adapter.Scale });
        }
    }

    /// <summary>A turn's text, calls and results: each function result is a "tool" turn of its own, as the wire contract has them.</summary>
    private static void AddMessage(GenerateRequest request, AiChatMessage message)
    {
        var results = message.Contents.OfType<FunctionResultContent>().ToList();
        var calls = message.Contents.OfType<FunctionCallContent>().ToList();
        var text = message.Text;
        if (results.Count == 0 || text.Length > 0 || calls.Count > 0)
        {
            var wire = new WireChatMessage { Role = message.Role.Value, Content = text };
            foreach (var call in calls)
            {
                wire.ToolCalls.Add(new ToolCall
                {
                    Id = call.CallId,
                    Name = call.Name,
                    Arguments = JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>(), AIJsonUtilities.DefaultOptions),
                });
            }

            request.Messages.Add(wire);
        }

        foreach (var result in results)
        {
            request.Messages.Add(new WireChatMessage
            {
                Role = "tool",
                ToolCallId = result.CallId,
                Content = result.Result switch
                {
                    null => result.Exception?.Message ?? "",
                    string s => s,
                    var value => JsonSerializer.Serialize(value, AIJsonUtilities.DefaultOptions),
                },
            });
        }
    }

    private static void AddFormat(GenerateRequest request, ChatResponseFormat? format)
    {
        switch (format)
        {
            case null or ChatResponseFormatText:
                return;
            case ChatResponseFormatJson { Schema: { } schema }:
                request.ResponseFormat = new ResponseFormat { JsonSchema = schema.GetRawText() };
                return;
            case ChatResponseFormatJson:
                request.ResponseFormat = new ResponseFormat { JsonObject = true };
                return;
            default:
                throw new ArgumentException($"The response format {format.GetType().Name} is not one this client can send: use Text, Json or ForJsonSchema.", nameof(format));
        }
    }

    private static void AddTools(GenerateRequest request, ChatOptions? options)
    {
        foreach (var tool in options?.Tools ?? [])
        {
            if (tool is not AIFunctionDeclaration function)
            {
                // A tool the cluster cannot run is refused rather than dropped: the model would answer as if it had none.
                throw new ArgumentException($"The tool '{tool.Name}' is a {tool.GetType().Name}; only functions (AIFunctionDeclaration) can be offered.", nameof(options));
            }

            request.Tools.Add(new Tool { Name = function.Name, Description = function.Description ?? "", Parameters = function.JsonSchema.GetRawText() });
        }

        if (options?.AllowMultipleToolCalls is { } parallel)
        {
            request.ParallelToolCalls = parallel;
        }

        switch (options?.ToolMode)
        {
            case NoneChatToolMode:
                request.ToolChoice = new ToolChoice { Mode = ToolChoiceMode.None };
                break;
            case RequiredChatToolMode { RequiredFunctionName: { } name }:
                request.ToolChoice = new ToolChoice { Function = name };
                break;
            case RequiredChatToolMode:
                request.ToolChoice = new ToolChoice { Mode = ToolChoiceMode.Required };
                break;
        }
    }

    private static Dictionary<string, object?>? Arguments(string json) =>
        json.Length == 0 ? null : JsonSerializer.Deserialize<Dictionary<string, object?>>(json, AIJsonUtilities.DefaultOptions);

    private static ChatFinishReason? ToFinishReason(FinishReason reason) => reason switch
    {
        FinishReason.Stop => ChatFinishReason.Stop,
        FinishReason.Length => ChatFinishReason.Length,
        FinishReason.ToolCalls => ChatFinishReason.ToolCalls,
        _ => null,
    };
}

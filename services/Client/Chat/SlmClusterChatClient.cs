using System.Runtime.CompilerServices;
using Grpc.Core;
using Microsoft.Extensions.AI;
using SlmCluster.Protocol.V1;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using WireChatMessage = SlmCluster.Protocol.V1.ChatMessage;

namespace SlmCluster.Client.Chat;

/// <summary>
/// An <see cref="IChatClient"/> over the gateway's <c>GenerateStream</c>: chat turns become the request's messages
/// (rendered with the model's chat template by the worker), text streams back as it is generated, and the closing
/// chunk gives finish reason, token usage and who served the answer.
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
        await foreach (var chunk in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
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
            request.Messages.Add(new WireChatMessage { Role = message.Role.Value, Content = message.Text });
        }

        if (request.Messages.Count == 0)
        {
            throw new ArgumentException("A chat request needs at least one message.", nameof(messages));
        }

        return request;
    }

    private static ChatFinishReason? ToFinishReason(FinishReason reason) => reason switch
    {
        FinishReason.Stop => ChatFinishReason.Stop,
        FinishReason.Length => ChatFinishReason.Length,
        _ => null,
    };
}

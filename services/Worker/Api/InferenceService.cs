using Microsoft.Extensions.Options;
using SlmCluster.Grpc;
using SlmCluster.Inference;
using SlmCluster.Protocol.V1;
using SlmCluster.Worker.Hosting;

namespace SlmCluster.Worker.Api;

/// <summary>The worker's <c>slm.v1.Inference</c>: runs requests on the one engine this process owns.</summary>
public sealed class InferenceService(EngineHost host, WorkerState state, IOptions<WorkerOptions> options)
{
    private const int DefaultMaxTokens = 128;

    public async Task<GenerateResponse> GenerateAsync(GenerateRequest request, ServerCallContext context)
    {
        var response = new GenerateResponse();
        var text = new System.Text.StringBuilder();
        await foreach (var update in RunAsync(request, context))
        {
            text.Append(update.Text);
            if (update.Final is { } final)
            {
                response.FinishReason = ProtocolMapping.ToFinishReason(final.FinishReason);
                response.Usage = ProtocolMapping.ToUsage(final);
                response.Served = Served(final);
            }
        }

        response.Text = text.ToString();
        return response;
    }

    public async Task GenerateStreamAsync(GenerateRequest request, IServerStreamWriter<GenerateChunk> writer, ServerCallContext context)
    {
        await foreach (var update in RunAsync(request, context))
        {
            var chunk = new GenerateChunk { Text = update.Text };
            if (update.Final is { } final)
            {
                chunk.FinishReason = ProtocolMapping.ToFinishReason(final.FinishReason);
                chunk.Usage = ProtocolMapping.ToUsage(final);
                chunk.Served = Served(final);
            }
            else if (update.Text.Length == 0)
            {
                continue;
            }

            await writer.WriteAsync(chunk, context.CancellationToken);
        }
    }

    public Task<ListModelsResponse> ListModelsAsync(ListModelsRequest request, ServerCallContext context)
    {
        var model = host.Engine.Model;
        var response = new ListModelsResponse();
        response.Models.Add(new ModelInfo
        {
            Id = host.ModelId,
            Name = model.Name,
            Architecture = model.Architecture,
            Parameters = model.ParameterCount,
            ContextLength = model.ContextLength,
            HasChatTemplate = model.ChatTemplate is not null,
            Replicas = 1,
            FileSha256 = host.ModelSha256.IsCompletedSuccessfully ? host.ModelSha256.Result : "",
            SizeBytes = (ulong)model.FileSizeBytes,
        });
        return Task.FromResult(response);
    }

    private async IAsyncEnumerable<GenerationUpdate> RunAsync(GenerateRequest request, ServerCallContext context)
    {
        if (request.Model.Length > 0 && request.Model != host.ModelId)
        {
            throw new RpcException(StatusCode.NotFound, $"Model '{request.Model}' is not served by worker {host.WorkerId}; it serves '{host.ModelId}'.");
        }

        if (request.MaxTokens > options.Value.MaxTokensLimit)
        {
            throw new RpcException(StatusCode.InvalidArgument, $"max_tokens is {request.MaxTokens}; this worker allows at most {options.Value.MaxTokensLimit}.");
        }

        using var scope = state.TryBegin()
            ?? throw new RpcException(StatusCode.Unavailable, $"Worker {host.WorkerId} is draining and takes no new requests; send it to another worker.");
        var generation = ProtocolMapping.ToGenerationRequest(request, Math.Min(DefaultMaxTokens, options.Value.MaxTokensLimit));
        IAsyncEnumerator<GenerationUpdate> updates;
        try
        {
            updates = host.Engine.GenerateAsync(generation, context.CancellationToken).GetAsyncEnumerator(context.CancellationToken);
        }
        catch (InferenceException e)
        {
            throw ProtocolMapping.ToRpcException(e);
        }

        await using (updates)
        {
            while (true)
            {
                try
                {
                    if (!await updates.MoveNextAsync())
                    {
                        yield break;
                    }
                }
                catch (InferenceException e)
                {
                    throw ProtocolMapping.ToRpcException(e);
                }

                yield return updates.Current;
            }
        }
    }

    private Served Served(GenerationResult result) => new()
    {
        WorkerId = host.WorkerId,
        Model = host.ModelId,
        TimeToFirstTokenMs = result.TimeToFirstToken.TotalMilliseconds,
        TotalMs = result.Total.TotalMilliseconds,
    };
}

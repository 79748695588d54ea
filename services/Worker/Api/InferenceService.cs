using System.Diagnostics;
using Microsoft.Extensions.Options;
using Grpc.Core;
using SlmCluster.Client;
using SlmCluster.Inference;
using SlmCluster.Protocol.V1;
using SlmCluster.ServiceDefaults.Tracing;
using SlmCluster.Worker.Costs;
using SlmCluster.Worker.Hosting;
using SlmCluster.Worker.Observability;

namespace SlmCluster.Worker.Api;

/// <summary>
/// The worker's <c>slm.v1.Inference</c>: runs requests on the one engine this process owns, and charges each the
/// share of the worker's time it used (<c>served.cost_usd</c>).
/// </summary>
public sealed class InferenceService(
    EngineHost host,
    WorkerState state,
    WorkerTimeLedger ledger,
    WorkerMetrics metrics,
    IOptions<WorkerCostOptions> cost,
    IOptions<WorkerOptions> options) : Protocol.V1.Inference.InferenceBase
{
    private const int DefaultMaxTokens = 128;

    /// <summary>ASP.NET Core's activity source; its request activities come from it only when they are traced.</summary>
    private const string AspNetCoreSource = "Microsoft.AspNetCore";

    public override Task<GenerateResponse> Generate(GenerateRequest request, ServerCallContext context) =>
        RunAsync(request, context).CollectAsync(context.CancellationToken);

    public override Task GenerateStream(GenerateRequest request, IServerStreamWriter<GenerateChunk> responseStream, ServerCallContext context) =>
        RunAsync(request, context).WriteToAsync(responseStream, context.CancellationToken);

    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context)
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

    /// <summary>The generation as wire chunks: text pieces, then a closing chunk with usage, timings and cost.</summary>
    private async IAsyncEnumerable<GenerateChunk> RunAsync(GenerateRequest request, ServerCallContext context)
    {
        // The gateway sends its span as W3C trace context, so one trace follows the request across both processes.
        // When ASP.NET Core's request span is traced (OTLP export), it already continues that context and this span
        // is its child; otherwise this span continues it, and is the worker's side of the call.
        using var activity = Activity.Current is { Source.Name: AspNetCoreSource }
            ? SlmActivitySources.Worker.StartActivity("slm.worker.generate")
            : SlmActivitySources.Worker.StartActivity("slm.worker.generate", ActivityKind.Server,
                SlmActivitySources.ParentFrom(context.RequestHeaders.GetValue(SlmActivitySources.TraceParentHeader),
                    context.RequestHeaders.GetValue(SlmActivitySources.TraceStateHeader)));
        activity?.SetTag("slm.model", host.ModelId);
        activity?.SetTag("slm.worker_id", host.WorkerId);

        if (request.Model.Length > 0 && request.Model != host.ModelId)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"Model '{request.Model}' is not served by worker {host.WorkerId}; it serves '{host.ModelId}'."));
        }

        if (request.MaxTokens > options.Value.MaxTokensLimit)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"max_tokens is {request.MaxTokens}; this worker allows at most {options.Value.MaxTokensLimit}."));
        }

        using var scope = state.TryBegin()
            ?? throw new RpcException(new Status(StatusCode.Unavailable, $"Worker {host.WorkerId} is draining and takes no new requests; send it to another worker."));
        var started = Stopwatch.GetTimestamp();
        using var account = ledger.Begin();
        var status = "cancelled";
        GenerationResult? result = null;
        var costUsd = 0.0;
        try
        {
            var generation = ProtocolMapping.ToGenerationRequest(request, Math.Min(DefaultMaxTokens, options.Value.MaxTokensLimit));
            IAsyncEnumerator<GenerationUpdate> updates;
            try
            {
                updates = host.Engine.GenerateAsync(generation, context.CancellationToken).GetAsyncEnumerator(context.CancellationToken);
            }
            catch (InferenceException e)
            {
                status = StatusName(e);
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
                        status = StatusName(e);
                        throw ProtocolMapping.ToRpcException(e);
                    }

                    var update = updates.Current;
                    var chunk = new GenerateChunk { Text = update.Text };
                    if (update.Final is { } final)
                    {
                        result = final;
                        costUsd = cost.Value.CostOf(account.Complete());
                        status = final.FinishReason == GenerationFinishReason.Cancelled ? "cancelled" : "ok";
                        chunk.FinishReason = ProtocolMapping.ToFinishReason(final.FinishReason);
                        chunk.Usage = ProtocolMapping.ToUsage(final);
                        chunk.Served = Served(final, costUsd);
                    }
                    else if (update.Text.Length == 0)
                    {
                        continue;
                    }

                    yield return chunk;
                }
            }
        }
        finally
        {
            if (result is null)
            {
                // Failed or abandoned: the time it held is still the worker's, but nobody is billed for an answer.
                account.Complete();
            }

            metrics.RequestEnded(status, result?.PromptTokens ?? 0, result?.CompletionTokens ?? 0, costUsd, Stopwatch.GetElapsedTime(started));
            activity?.SetTag("slm.status", status);
            activity?.SetTag("slm.completion_tokens", result?.CompletionTokens ?? 0);
        }
    }

    private static string StatusName(InferenceException e) => e.Kind switch
    {
        InferenceErrorKind.InvalidArgument => "invalid_argument",
        InferenceErrorKind.ResourceExhausted => "resource_exhausted",
        InferenceErrorKind.Unavailable => "unavailable",
        _ => "internal",
    };

    private Served Served(GenerationResult result, double costUsd) => new()
    {
        WorkerId = host.WorkerId,
        Model = host.ModelId,
        TimeToFirstTokenMs = result.TimeToFirstToken.TotalMilliseconds,
        TotalMs = result.Total.TotalMilliseconds,
        CostUsd = costUsd,
    };
}

using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using SlmCluster.Contracts;
using SlmCluster.Inference;
using SlmCluster.ServiceDefaults.Tracing;
using SlmCluster.Worker.Configuration;
using SlmCluster.Worker.Costs;
using SlmCluster.Worker.Observability;

namespace SlmCluster.Worker.Grains;

/// <summary>
/// Runs generations on the one engine this silo owns and charges each the share of the worker's time it used. A silo
/// singleton: the model outlives any activation of the grain that fronts it.
/// </summary>
public sealed class WorkerGeneration(
    EngineHost host,
    WorkerState state,
    WorkerTimeLedger ledger,
    WorkerMetrics metrics,
    IOptions<WorkerCostOptions> cost,
    IOptions<WorkerOptions> options)
{
    private const int DefaultMaxTokens = 128;

    /// <summary>The generation as pieces: text, then a closing piece with usage, timings and cost.</summary>
    /// <exception cref="ModelWorkerException">Wrong model, too many tokens asked for, draining, full, or the engine failed.</exception>
    public async IAsyncEnumerable<GenerationPiece> RunAsync(GenerationCall call, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // A child of the front door's call when the trace context came with it (Orleans carries it), so one trace
        // follows the request across both silos.
        using var activity = SlmActivitySources.Worker.StartActivity("slm.worker.generate", ActivityKind.Server);
        activity?.SetTag("slm.model", host.ModelId);
        activity?.SetTag("slm.worker_id", host.WorkerId);

        if (call.Model.Length > 0 && call.Model != host.ModelId)
        {
            throw new ModelWorkerException(WorkerErrorKind.NotFound, $"Model '{call.Model}' is not served by worker {host.WorkerId}; it serves '{host.ModelId}'.");
        }

        ThrowIfUnknownAdapter(call);
        var adapterLabel = WorkerMetrics.AdapterLabel(call.Adapters);
        activity?.SetTag("slm.adapter", adapterLabel);

        if (call.MaxTokens > options.Value.MaxTokensLimit)
        {
            throw new ModelWorkerException(WorkerErrorKind.InvalidArgument, $"max_tokens is {call.MaxTokens}; this worker allows at most {options.Value.MaxTokensLimit}.");
        }

        using var scope = state.TryBegin()
            ?? throw new ModelWorkerException(WorkerErrorKind.Unavailable, $"Worker {host.WorkerId} is draining and takes no new requests; send it to another worker.");
        var started = Stopwatch.GetTimestamp();
        using var account = ledger.Begin();
        var status = WorkerMetrics.Cancelled;
        GenerationResult? result = null;
        var costUsd = 0.0;
        try
        {
            var request = CallMapping.ToGenerationRequest(call, Math.Min(DefaultMaxTokens, options.Value.MaxTokensLimit));
            IAsyncEnumerator<GenerationUpdate> updates;
            try
            {
                updates = host.Engine.GenerateAsync(request, cancellationToken).GetAsyncEnumerator(cancellationToken);
            }
            catch (InferenceException e)
            {
                status = WorkerMetrics.StatusOf(e.Kind);
                throw CallMapping.ToWorkerException(e);
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
                        status = WorkerMetrics.StatusOf(e.Kind);
                        throw CallMapping.ToWorkerException(e);
                    }

                    var update = updates.Current;
                    if (update.Final is { } final)
                    {
                        result = final;
                        costUsd = cost.Value.CostOf(account.Complete());
                        status = final.FinishReason == GenerationFinishReason.Cancelled ? WorkerMetrics.Cancelled : WorkerMetrics.Ok;
                        yield return new GenerationPiece
                        {
                            Text = update.Text,
                            Summary = Summary(final, costUsd),
                            Logprobs = CallMapping.ToLogprobs(update.Logprobs),
                        };
                        continue;
                    }

                    if (update.Text.Length > 0)
                    {
                        yield return new GenerationPiece { Text = update.Text, Logprobs = CallMapping.ToLogprobs(update.Logprobs) };
                    }
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

            metrics.RequestEnded(status, result?.PromptTokens ?? 0, result?.CompletionTokens ?? 0, costUsd, Stopwatch.GetElapsedTime(started), adapterLabel);
            activity?.SetTag("slm.status", status);
            activity?.SetTag("slm.completion_tokens", result?.CompletionTokens ?? 0);
        }
    }

    /// <summary>The call's prompt in tokens of this worker's model, rendered and tokenized as a generation would be.</summary>
    /// <exception cref="ModelWorkerException">Another model, or no prompt.</exception>
    public int CountPromptTokens(GenerationCall call)
    {
        if (call.Model.Length > 0 && call.Model != host.ModelId)
        {
            throw new ModelWorkerException(WorkerErrorKind.NotFound, $"Model '{call.Model}' is not served by worker {host.WorkerId}; it serves '{host.ModelId}'.");
        }

        try
        {
            return host.Engine.CountPromptTokens(CallMapping.ToGenerationRequest(call, DefaultMaxTokens));
        }
        catch (InferenceException e)
        {
            throw CallMapping.ToWorkerException(e);
        }
    }

    /// <summary>An adapter this worker does not serve is not found, as a model it does not serve is.</summary>
    private void ThrowIfUnknownAdapter(GenerationCall call)
    {
        if (call.Adapters is not { Count: > 0 } adapters)
        {
            return;
        }

        var loaded = host.Engine.Adapters;
        foreach (var adapter in adapters)
        {
            if (!loaded.Any(a => a.Name == adapter.Name))
            {
                throw new ModelWorkerException(WorkerErrorKind.NotFound,
                    $"Adapter '{adapter.Name}' of model '{host.ModelId}' is not served by worker {host.WorkerId}" +
                    (loaded.Count == 0 ? "; it serves no adapters." : $"; it serves {string.Join(", ", loaded.Select(a => a.Name))}."));
            }
        }
    }

    /// <summary>What this worker serves and how busy it is.</summary>
    public WorkerStatus Status(int activations)
    {
        var engine = host.Engine;
        var model = engine.Model;
        return new WorkerStatus
        {
            WorkerId = host.WorkerId,
            Model = new ModelDescription
            {
                Id = host.ModelId,
                Name = model.Name,
                Architecture = model.Architecture,
                Parameters = model.ParameterCount,
                ContextLength = model.ContextLength,
                HasChatTemplate = model.ChatTemplate is not null,
                ToolCallFormat = ToolCallFormats.Of(model.ChatTemplate),
                FileSha256 = host.ModelSha256.IsCompletedSuccessfully ? host.ModelSha256.Result : "",
                SizeBytes = (ulong)model.FileSizeBytes,
                ServesEmbeddings = engine.Serves.HasFlag(ServedTasks.Embeddings),
                EmbeddingsOnly = !engine.Serves.HasFlag(ServedTasks.Generation),
                EmbeddingDimensions = engine.Serves.HasFlag(ServedTasks.Embeddings) ? engine.EmbeddingDimensions : 0,
                MaxEmbeddingInputTokens = engine.MaxEmbeddingInputTokens,
                EmbeddingPooling = engine.EmbeddingPooling?.ToString().ToLowerInvariant() ?? "",
                Adapters = engine.Adapters.Select(a => new AdapterDescription
                {
                    Name = a.Name,
                    Rank = a.Rank,
                    Alpha = a.Alpha,
                    SizeBytes = (ulong)a.FileSizeBytes,
                    FileSha256 = host.AdapterSha256.TryGetValue(a.Name, out var sha) && sha.IsCompletedSuccessfully ? sha.Result : "",
                }).ToArray(),
                RefusedAdapters = engine.AdapterFailures.Select(f => new AdapterRefusal(f.Name, f.Reason)).ToArray(),
            },
            Device = options.Value.Device,
            Slots = options.Value.Slots,
            ActiveSequences = engine.ActiveSequences,
            QueueDepth = engine.QueueDepth,
            KvCacheUsage = engine.KvCacheUsage,
            Draining = state.IsDraining,
            Activations = activations,
        };
    }

    private GenerationSummary Summary(GenerationResult result, double costUsd) => new()
    {
        FinishReason = CallMapping.ToFinishReason(result.FinishReason),
        PromptTokens = result.PromptTokens,
        CompletionTokens = result.CompletionTokens,
        ReusedPromptTokens = result.ReusedPromptTokens,
        TimeToFirstTokenMs = result.TimeToFirstToken.TotalMilliseconds,
        TotalMs = result.Total.TotalMilliseconds,
        CostUsd = costUsd,
        WorkerId = host.WorkerId,
        Model = host.ModelId,
    };
}

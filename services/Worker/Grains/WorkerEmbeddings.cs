using System.Diagnostics;
using Microsoft.Extensions.Options;
using SlmCluster.Contracts;
using SlmCluster.Inference;
using SlmCluster.ServiceDefaults.Tracing;
using SlmCluster.Worker.Configuration;
using SlmCluster.Worker.Costs;

namespace SlmCluster.Worker.Grains;

/// <summary>
/// Embeds on the one engine this silo owns and charges each call the share of the worker's time it used, as
/// generations are charged. A silo singleton beside <see cref="WorkerGeneration"/>.
/// </summary>
public sealed class WorkerEmbeddings(EngineHost host, WorkerState state, WorkerTimeLedger ledger, IOptions<WorkerCostOptions> cost)
{
    /// <exception cref="ModelWorkerException">Another model, no embeddings served here, bad input, draining or full.</exception>
    public async Task<EmbeddingAnswer> EmbedAsync(EmbeddingCall call, CancellationToken cancellationToken)
    {
        using var activity = SlmActivitySources.Worker.StartActivity("slm.worker.embed", ActivityKind.Server);
        activity?.SetTag("slm.model", host.ModelId);
        activity?.SetTag("slm.worker_id", host.WorkerId);
        activity?.SetTag("slm.inputs", call.Inputs.Count);
        if (call.Model.Length > 0 && call.Model != host.ModelId)
        {
            throw new ModelWorkerException(WorkerErrorKind.NotFound, $"Model '{call.Model}' is not served by worker {host.WorkerId}; it serves '{host.ModelId}'.");
        }

        using var scope = state.TryBegin()
            ?? throw new ModelWorkerException(WorkerErrorKind.Unavailable, $"Worker {host.WorkerId} is draining and takes no new requests; send it to another worker.");
        using var account = ledger.Begin();
        var request = new EmbeddingRequest
        {
            Inputs = call.Inputs.Select(i => i.Tokens is { } tokens ? EmbeddingInput.OfTokens(tokens) : EmbeddingInput.OfText(i.Text)).ToArray(),
            Truncate = call.Truncate,
            Dimensions = call.Dimensions,
        };
        EmbeddingResult result;
        try
        {
            result = await host.Engine.EmbedAsync(request, cancellationToken);
        }
        catch (InferenceException e)
        {
            account.Complete();
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            throw CallMapping.ToWorkerException(e);
        }

        var costUsd = cost.Value.CostOf(account.Complete());
        activity?.SetTag("slm.prompt_tokens", result.PromptTokens);
        return new EmbeddingAnswer
        {
            Vectors = result.Vectors,
            PromptTokens = result.PromptTokens,
            InputTokens = result.InputTokens,
            TruncatedInputs = result.TruncatedInputs,
            TotalMs = result.Total.TotalMilliseconds,
            CostUsd = costUsd,
            WorkerId = host.WorkerId,
            Model = host.ModelId,
        };
    }
}

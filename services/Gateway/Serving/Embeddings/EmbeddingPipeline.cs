using System.Diagnostics;
using Grpc.Core;
using SlmCluster.Contracts;
using SlmCluster.Gateway.Caching;
using SlmCluster.Gateway.Costs;
using SlmCluster.Gateway.Observability;
using SlmCluster.Protocol.V1;
using SlmCluster.ServiceDefaults.Tracing;

namespace SlmCluster.Gateway.Serving.Embeddings;

/// <summary>
/// The one path of embedding requests, for every front door: <see cref="Prepare"/> applies the rules and resolves the
/// model once (a model served for embeddings; a generation-only one is the caller's error); <see cref="EmbedAsync"/>
/// answers each input from the cache when it was embedded before, and the rest from one worker call (through
/// <see cref="WorkerCaller"/>'s retry policy), with metrics, a trace and the costs around it. A door's mapper makes the
/// <see cref="EmbeddingServingRequest"/> and writes the <see cref="EmbedResponse"/> in its own shape.
/// </summary>
public sealed class EmbeddingPipeline(
    EmbeddingRequestRules rules,
    ModelCatalog catalog,
    EmbeddingCache cache,
    WorkerCaller workers,
    EmbeddingMetrics metrics,
    ReferencePricing pricing)
{
    private const string CacheWorkerId = "cache";

    /// <summary>The request checked against the rules, with its model resolved.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT with the field at fault (<see cref="InvalidRequestException"/>); NOT_FOUND or UNAVAILABLE for its model.</exception>
    public PreparedEmbedding Prepare(EmbeddingServingRequest request)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            if (rules.Validate(request) is { } problem)
            {
                throw new InvalidRequestException(problem);
            }

            var model = Resolve(request.Model);
            if (EmbeddingRequestRules.ValidateFor(request, model) is { } modelProblem)
            {
                throw new InvalidRequestException(modelProblem);
            }

            return new PreparedEmbedding(request with { Call = request.Call with { Model = model.Id } }, model);
        }
        catch (RpcException e)
        {
            metrics.RequestEnded(RequestRecord.UnknownModel, RequestRecord.StatusOf(e.StatusCode), Stopwatch.GetElapsedTime(started), 0, 0, 0, 0, 0, 0);
            Activity.Current?.SetStatus(ActivityStatusCode.Error, e.Status.Detail);
            throw;
        }
    }

    /// <summary>One vector per input, in order, with usage and what served it.</summary>
    /// <exception cref="RpcException">No worker could embed it, or the worker refused an input (INVALID_ARGUMENT).</exception>
    public async Task<EmbedResponse> EmbedAsync(PreparedEmbedding prepared, CancellationToken cancellationToken)
    {
        using var activity = SlmActivitySources.Gateway.StartActivity("slm.gateway.embed", ActivityKind.Server);
        var started = Stopwatch.GetTimestamp();
        var request = prepared.Request;
        var call = request.Call;
        activity?.SetTag("slm.model", call.Model);
        activity?.SetTag("slm.inputs", call.Inputs.Count);
        var status = "cancelled";
        int cachedInputs = 0, cachedTokens = 0, workerInputs = 0, workerTokens = 0;
        double costUsd = 0, referenceCostUsd = 0;
        try
        {
            var vectors = new float[call.Inputs.Count][];
            var tokens = new int[call.Inputs.Count];
            var keys = KeysOf(prepared);
            if (keys is not null)
            {
                var hits = await cache.TryGetAsync(keys, cancellationToken);
                for (var i = 0; i < hits.Length; i++)
                {
                    if (hits[i] is { } hit)
                    {
                        vectors[i] = hit.Vector;
                        tokens[i] = hit.Tokens;
                        cachedInputs++;
                        cachedTokens += hit.Tokens;
                    }
                }
            }

            var workerId = CacheWorkerId;
            if (cachedInputs < call.Inputs.Count)
            {
                var missing = Enumerable.Range(0, call.Inputs.Count).Where(i => vectors[i] is null).ToArray();
                var missingCall = missing.Length == call.Inputs.Count ? call : call with { Inputs = missing.Select(i => call.Inputs[i]).ToArray() };
                var answer = await CallWorkerAsync(missingCall, cancellationToken);
                if (answer.Vectors.Count != missing.Length || answer.InputTokens.Count != missing.Length)
                {
                    throw new RpcException(new Status(StatusCode.Internal,
                        $"Worker {answer.WorkerId} returned {answer.Vectors.Count} vectors for {missing.Length} inputs."));
                }

                for (var j = 0; j < missing.Length; j++)
                {
                    var i = missing[j];
                    vectors[i] = answer.Vectors[j];
                    tokens[i] = answer.InputTokens[j];
                    if (keys is not null && cache.IsEnabled)
                    {
                        cache.Store(keys[i], vectors[i], tokens[i], request.CacheTtlSeconds);
                    }
                }

                workerInputs = missing.Length;
                workerTokens = answer.PromptTokens;
                costUsd = answer.CostUsd;
                workerId = answer.WorkerId;
            }

            var promptTokens = cachedTokens + workerTokens;
            referenceCostUsd = pricing.EmbeddingsCostOf(promptTokens);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var response = new EmbedResponse
            {
                Usage = new Usage { PromptTokens = promptTokens },
                Served = new Served
                {
                    WorkerId = workerId,
                    Model = call.Model,
                    CacheHit = workerInputs == 0,
                    TimeToFirstTokenMs = elapsed,
                    TotalMs = elapsed,
                    CostUsd = costUsd,
                    ReferenceApiCostUsd = referenceCostUsd,
                },
            };
            foreach (var vector in vectors)
            {
                var embedding = new Protocol.V1.Embedding();
                embedding.Values.Add(vector);
                response.Embeddings.Add(embedding);
            }

            status = "ok";
            return response;
        }
        catch (RpcException e)
        {
            status = RequestRecord.StatusOf(e.StatusCode);
            throw;
        }
        catch (OperationCanceledException)
        {
            status = "cancelled";
            throw;
        }
        catch (Exception)
        {
            status = "internal";
            throw;
        }
        finally
        {
            metrics.RequestEnded(call.Model, status, Stopwatch.GetElapsedTime(started), cachedInputs, cachedTokens, workerInputs, workerTokens, costUsd, referenceCostUsd);
            activity?.SetTag("slm.status", status);
            if (status is not ("ok" or "cancelled"))
            {
                activity?.SetStatus(ActivityStatusCode.Error, status);
            }
        }
    }

    /// <summary>A model served for embeddings: the one named, else the first listed that is.</summary>
    private ModelInfo Resolve(string requested)
    {
        if (requested.Length == 0)
        {
            return catalog.List().FirstOrDefault(m => m.Embeddings)
                ?? throw workers.NoWorker("embeddings");
        }

        var target = catalog.Resolve(requested);
        if (target.Model is not { } model)
        {
            throw new InvalidRequestException(new RequestProblem(
                $"'{target.Id}' is a cascade route, which serves generations only; ask a model served for embeddings{Offered()}.", "model"));
        }

        if (!model.Embeddings)
        {
            throw new InvalidRequestException(new RequestProblem(
                $"Model '{model.Id}' is served for generation only, not for embeddings{Offered()}.", "model"));
        }

        return model;
    }

    private string Offered()
    {
        var models = catalog.List().Where(m => m.Embeddings).Select(m => m.Id).ToArray();
        return models.Length == 0 ? " (no model here is; a worker serves one with Worker:Serves=embeddings or both)" : $": {string.Join(", ", models)}";
    }

    private string[]? KeysOf(PreparedEmbedding prepared)
    {
        if (prepared.Request.BypassCache || !cache.IsEnabled || prepared.Model.FileSha256.Length == 0)
        {
            return null;
        }

        var call = prepared.Request.Call;
        return call.Inputs.Select(input => EmbeddingCacheKey.For(call.Model, prepared.Model.FileSha256, prepared.Model.EmbeddingPooling, call, input, cache.KeyPrefix)).ToArray();
    }

    private async Task<EmbeddingAnswer> CallWorkerAsync(EmbeddingCall call, CancellationToken cancellationToken)
    {
        // The worker caller routes by the serving request's model (and would by its prompt); embeddings have neither session nor prompt.
        var routing = new ServingRequest { Call = new GenerationCall { Model = call.Model } };
        try
        {
            return await workers.CallAsync(routing, (grain, _) => grain.Embed(call, cancellationToken), cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.InvalidArgument && e is not InvalidRequestException)
        {
            // What only the model can check (token ids in its vocabulary, an input within its longest): the field is named too.
            throw new InvalidRequestException(new RequestProblem(e.Status.Detail,
                e.Status.Detail.StartsWith("dimensions", StringComparison.Ordinal) ? "dimensions" : "input"));
        }
    }
}

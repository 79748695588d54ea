using Grpc.Core;
using SlmCluster.Client;
using SlmCluster.Contracts;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Caching;
using SlmCluster.Gateway.Cascade;
using SlmCluster.Gateway.Costs;
using SlmCluster.Gateway.Hosting;
using SlmCluster.Gateway.Observability;
using SlmCluster.Gateway.Routing;
using SlmCluster.Gateway.Security;
using SlmCluster.Protocol.V1;
using SlmCluster.ServiceDefaults.Tracing;

namespace SlmCluster.Gateway.Api;

/// <summary>
/// The gateway's <c>slm.v1.Inference</c>: validates, picks a worker grain serving the model, and streams from it;
/// a call that fails before its first token is retried on another worker.
/// </summary>
public sealed partial class GatewayInferenceService(
    WorkerPool pool,
    IWorkerRouter router,
    GenerateRequestValidator validator,
    WorkerDirectory directory,
    ResponseCache cache,
    SingleFlight singleFlight,
    GatewayMetrics metrics,
    ReferencePricing pricing,
    CascadeRoutes cascades,
    CascadeRunner cascade,
    IOptions<GatewayOptions> options,
    IHttpContextAccessor httpContext,
    ILogger<GatewayInferenceService> logger) : Protocol.V1.Inference.InferenceBase
{
    private const string CacheWorkerId = "cache";

    /// <summary>How long a worker's enumeration may take to end after its closing piece before it is dropped.</summary>
    private static readonly TimeSpan WorkerWindDownTimeout = TimeSpan.FromSeconds(10);

    public override Task<GenerateResponse> Generate(GenerateRequest request, ServerCallContext context) =>
        StreamAsync(request, context.CancellationToken, AfterResponse(context)).CollectAsync(context.CancellationToken);

    public override Task GenerateStream(GenerateRequest request, IServerStreamWriter<GenerateChunk> responseStream, ServerCallContext context) =>
        StreamAsync(request, context.CancellationToken, AfterResponse(context)).WriteToAsync(responseStream, context.CancellationToken);

    /// <summary>
    /// Runs bookkeeping once the call's response (its status included) is on the wire: the metrics of a request cost
    /// ~0.06 ms on a small machine, and the caller need not wait for them.
    /// </summary>
    private static Action<Action> AfterResponse(ServerCallContext context) =>
        work => context.GetHttpContext().Response.OnCompleted(static state =>
        {
            ((Action)state).Invoke();
            return Task.CompletedTask;
        }, work);

    /// <summary>
    /// The one path every API takes: validate, resolve the model, answer from the cache when the request
    /// is reproducible and was answered before (or is being answered right now), else stream from a worker.
    /// The closing chunk carries the self-hosted cost and the reference API's; the request is counted in the metrics.
    /// </summary>
    /// <exception cref="RpcException">The request is invalid, or no worker could serve it.</exception>
    /// <param name="afterResponse">Given, it is handed the request's bookkeeping to run once the answer has left; else it runs at the end of the stream.</param>
    public async IAsyncEnumerable<GenerateChunk> StreamAsync(GenerateRequest request,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken, Action<Action>? afterResponse = null)
    {
        using var activity = SlmActivitySources.Gateway.StartActivity("slm.gateway.generate", ActivityKind.Server);
        var progress = new RequestProgress { Trace = activity?.Context ?? default };
        var started = Stopwatch.GetTimestamp();
        TimeSpan? firstText = null;
        Served? served = null;
        Usage? usage = null;
        var status = "cancelled";
        // Present when the caller's tenant has a token budget: charged with what this request streams (TokenBudgetMiddleware).
        var tokenUsage = httpContext.HttpContext?.Features.Get<TokenUsageFeature>();
        await using var chunks = StreamCoreAsync(request, progress, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                try
                {
                    if (!await chunks.MoveNextAsync())
                    {
                        status = served is null ? "cancelled" : "ok";
                        break;
                    }
                }
                catch (RpcException e)
                {
                    status = StatusName(e.StatusCode);
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

                var chunk = chunks.Current;
                if (firstText is null && (chunk.Text.Length > 0 || chunk.Served is not null))
                {
                    firstText = Stopwatch.GetElapsedTime(started);
                }

                if (chunk.Served is not null)
                {
                    served = chunk.Served;
                    usage = chunk.Usage;
                    if (served.CacheHit)
                    {
                        served.CostUsd = 0;
                    }

                    served.ReferenceApiCostUsd = pricing.DefaultCostOf(usage?.PromptTokens ?? 0, usage?.CompletionTokens ?? 0);
                }

                tokenUsage?.Count(chunk);
                yield return chunk;
            }
        }
        finally
        {
            var source = served is not null
                ? served.CacheHit ? RequestRecord.FromCache : RequestRecord.FromWorker
                : progress.ReachedWorker ? RequestRecord.FromWorker : RequestRecord.FromGateway;
            var record = new RequestRecord(
                served?.Model is { Length: > 0 } model ? model : progress.Model ?? RequestRecord.UnknownModel,
                status,
                source,
                Stopwatch.GetElapsedTime(started),
                (usage?.CompletionTokens ?? 0) > 0 ? firstText : null,
                usage?.PromptTokens ?? 0,
                usage?.CompletionTokens ?? 0,
                served?.CostUsd ?? 0);
            if (afterResponse is null)
            {
                metrics.RequestEnded(record);
            }
            else
            {
                afterResponse(() => metrics.RequestEnded(record));
            }

            activity?.SetTag("slm.model", record.Model);
            activity?.SetTag("slm.status", status);
            activity?.SetTag("slm.source", source);
            if (status is not ("ok" or "cancelled"))
            {
                activity?.SetStatus(ActivityStatusCode.Error, status);
            }
        }
    }

    /// <summary>A failed call's status as the metrics label it: the gRPC status in snake case (deadline_exceeded).</summary>
    internal static string StatusName(StatusCode code)
    {
        var name = code.ToString();
        var snake = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0 && char.IsLower(name[i - 1]))
            {
                snake.Append('_');
            }

            snake.Append(char.ToLowerInvariant(c));
        }

        return snake.ToString();
    }

    /// <summary>Validates, then answers from the cache, a cascade route's tiers, or a worker.</summary>
    private async IAsyncEnumerable<GenerateChunk> StreamCoreAsync(GenerateRequest request, RequestProgress progress,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        string? key;
        IAsyncEnumerable<GenerateChunk> generated;
        GenerateRequest forwarded;
        if (cascades.Find(request.Model.Length > 0 ? request.Model : options.Value.DefaultModel ?? "") is { } route)
        {
            forwarded = PrepareCascade(request, route);
            progress.Model = route.Name;
            key = CascadeCacheKeyOf(forwarded, route);
            generated = cascade.RunAsync(route, forwarded, (tierRequest, token) => FromWorkersAsync(tierRequest, progress, token), cancellationToken);
        }
        else
        {
            (forwarded, var model) = Prepare(request);
            progress.Model = forwarded.Model;
            key = CacheKeyOf(forwarded, model);
            generated = FromWorkersAsync(forwarded, progress, cancellationToken);
        }

        if (key is null)
        {
            await foreach (var chunk in generated)
            {
                yield return chunk;
            }

            yield break;
        }

        var hit = cache.IsEnabled ? await cache.TryGetAsync(key, cancellationToken) : null;
        var leads = false;
        SingleFlight.Lease lease = default;
        if (hit is null && !(leads = singleFlight.TryLead(key, out lease, out var leaderAnswer)))
        {
            hit = await leaderAnswer.WaitAsync(cancellationToken);
        }

        if (hit is not null)
        {
            metrics.CacheHit(forwarded.Model);
            foreach (var chunk in Replay(hit, forwarded.Model, started))
            {
                yield return chunk;
            }

            yield break;
        }

        metrics.CacheMiss(forwarded.Model);
        GenerateResponse? answer = null;
        try
        {
            var text = new StringBuilder();
            // A request that asked for logprobs has its own key, and its answer keeps them: a hit replays them.
            var logprobs = forwarded.Logprobs || forwarded.TopLogprobs > 0 ? new List<Protocol.V1.TokenLogprob>() : null;
            await foreach (var chunk in generated)
            {
                text.Append(chunk.Text);
                logprobs?.AddRange(chunk.Logprobs);
                if (chunk.Usage is not null)
                {
                    // A cascade's answer keeps its record (which tier answered, and why) for its replays.
                    answer = new GenerateResponse
                    {
                        Text = text.ToString(), FinishReason = chunk.FinishReason, Usage = chunk.Usage,
                        Served = chunk.Served?.Cascade is { } record ? new Served { Cascade = record.Clone() } : null,
                    };
                    if (logprobs is not null)
                    {
                        answer.Logprobs.Add(logprobs);
                    }

                    // Kept before the closing chunk leaves: it ends the caller's call, and a repeat sent at once must find it.
                    // A route's stand-in answer for a failed last tier is not kept: the tier may be back for the next one.
                    if (IsWhole(answer) && cache.IsEnabled && !IsFallback(answer.Served?.Cascade))
                    {
                        cache.Store(key, answer, forwarded.Cache?.TtlSeconds ?? 0);
                    }
                }

                yield return chunk;
            }
        }
        finally
        {
            // Only whole answers are shared and kept; the waiters of a failed leader generate for themselves.
            if (leads)
            {
                lease.Complete(answer is not null && IsWhole(answer) ? answer : null);
            }
        }
    }

    /// <summary>A cascade route's answer given by a lower tier because its last tier failed (the last attempt is that failure).</summary>
    private static bool IsFallback(CascadeServed? record) => record is { Attempts.Count: > 0 } && record.Attempts[^1].Outcome == TierOutcome.Error;

    /// <summary>An answer that ended as the model or max_tokens ended it: the only kind shared or cached.</summary>
    private static bool IsWhole(GenerateResponse answer) => answer.FinishReason is FinishReason.Stop or FinishReason.Length;

    /// <summary>The cache key of a reproducible request for a model whose file is known, else null.</summary>
    private string? CacheKeyOf(GenerateRequest forwarded, ModelInfo model)
    {
        if (!cache.IsConfiguredForUse || !ResponseCacheKey.IsCacheable(forwarded) || model.FileSha256.Length == 0)
        {
            return null;
        }

        return ResponseCacheKey.For(forwarded, model.FileSha256, cache.KeyPrefix);
    }

    /// <summary>
    /// The cache key of a reproducible request for a cascade route, else null: keyed as the route (its name, its
    /// configuration's fingerprint and the files of its cluster tiers' models), so it never shares an entry with a
    /// request for one of its tiers' models, and a reconfigured route does not answer from its old shape's entries.
    /// </summary>
    private string? CascadeCacheKeyOf(GenerateRequest forwarded, CascadeRoute route)
    {
        if (!cache.IsConfiguredForUse || !ResponseCacheKey.IsCacheable(forwarded))
        {
            return null;
        }

        var files = new StringBuilder("cascade:").Append(route.Fingerprint);
        foreach (var tier in route.Tiers)
        {
            if (tier.Model is not null)
            {
                if (pool.ServedModel(tier.Model) is not { FileSha256.Length: > 0 } model)
                {
                    return null;
                }

                files.Append(':').Append(model.FileSha256);
            }
        }

        return ResponseCacheKey.For(forwarded, files.ToString(), cache.KeyPrefix);
    }

    /// <summary>
    /// A cached answer as a stream: its text with its token logprobs, then the closing chunk, marked as a hit that cost
    /// nothing. A cascade's answer replays its record, and names the model that answered it. The kept messages are
    /// shared between hits and never changed.
    /// </summary>
    private static IEnumerable<GenerateChunk> Replay(GenerateResponse hit, string model, long started)
    {
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var closing = new GenerateChunk
        {
            FinishReason = hit.FinishReason,
            Usage = hit.Usage,
            Served = new Served
            {
                WorkerId = CacheWorkerId,
                Model = hit.Served?.Cascade is { } record ? record.Model : model,
                CacheHit = true,
                TimeToFirstTokenMs = elapsed,
                TotalMs = elapsed,
                Cascade = hit.Served?.Cascade?.Clone(),
            },
        };
        if (hit.Text.Length > 0)
        {
            var text = new GenerateChunk { Text = hit.Text };
            text.Logprobs.Add(hit.Logprobs);
            yield return text;
        }
        else
        {
            closing.Logprobs.Add(hit.Logprobs);
        }

        yield return closing;
    }

    /// <summary>
    /// Picks a worker grain and streams its pieces as chunks. A worker that fails before its first piece (its silo is
    /// gone, it is draining or full) is replaced by another; after that the failure is the caller's, as UNAVAILABLE.
    /// </summary>
    private async IAsyncEnumerable<GenerateChunk> FromWorkersAsync(GenerateRequest forwarded, RequestProgress progress,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var route = RouteRequest.For(forwarded, options.Value.Routing.AffinityPrefixCharacters);
        var call = WorkerCalls.ToCall(forwarded);
        var tried = new List<WorkerEndpoint>();
        RpcException? atCapacity = null;
        while (true)
        {
            using var lease = AcquireOrThrow(route, tried, atCapacity);
            var worker = lease.Worker;
            progress.ReachedWorker = true;
            using var activity = SlmActivitySources.Gateway.StartActivity("slm.gateway.worker_call", ActivityKind.Client, progress.Trace);
            activity?.SetTag("slm.worker", worker.WorkerId);
            var pieces = worker.Grain.Generate(call, cancellationToken).GetAsyncEnumerator(cancellationToken);
            var handedOff = false;
            try
            {
                var sent = 0;
                while (true)
                {
                    bool more;
                    try
                    {
                        more = await pieces.MoveNextAsync();
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                    {
                        var failure = WorkerCalls.ToRpcException(e, worker.WorkerId);
                        var lost = WorkerCalls.IsWorkerLost(e);
                        var retry = sent == 0 && WorkerCalls.IsRetryable(e) && tried.Count < options.Value.MaxAttempts && !cancellationToken.IsCancellationRequested;
                        if (retry || lost)
                        {
                            OnWorkerFailed(worker, e, failure, lost);
                        }

                        if (retry)
                        {
                            atCapacity = failure.StatusCode == StatusCode.ResourceExhausted ? failure : atCapacity;
                            break;
                        }

                        throw sent > 0 && lost
                            ? new RpcException(new Status(StatusCode.Unavailable,
                                $"Worker {worker.WorkerId} failed after {sent} chunks had been sent; the answer is incomplete. Retry the request. ({e.Message})"))
                            : failure;
                    }

                    if (!more)
                    {
                        yield break;
                    }

                    sent++;
                    var chunk = WorkerCalls.ToChunk(pieces.Current);
                    if (chunk.Usage is not null)
                    {
                        // The closing piece makes the answer whole: the caller gets it (and its status) without waiting
                        // for the grain's enumeration to be wound down, which happens behind it.
                        handedOff = true;
                        _ = FinishWorkerCallAsync(pieces, worker);
                        yield return chunk;
                        yield break;
                    }

                    yield return chunk;
                }
            }
            finally
            {
                if (!handedOff)
                {
                    await DisposeQuietlyAsync(pieces, worker);
                }
            }
        }
    }

    /// <summary>Winds down a worker's enumeration after its closing piece, so the grain releases it at once.</summary>
    private async Task FinishWorkerCallAsync(IAsyncEnumerator<GenerationPiece> pieces, WorkerEndpoint worker)
    {
        try
        {
            using var timeout = new CancellationTokenSource(WorkerWindDownTimeout);
            while (await pieces.MoveNextAsync().AsTask().WaitAsync(timeout.Token))
            {
                LogChunkAfterClosing(logger, worker.WorkerId);
            }
        }
        catch (Exception e)
        {
            LogWindDownFailed(logger, worker.WorkerId, e.Message);
        }
        finally
        {
            await DisposeQuietlyAsync(pieces, worker);
        }
    }

    private async ValueTask DisposeQuietlyAsync(IAsyncEnumerator<GenerationPiece> pieces, WorkerEndpoint worker)
    {
        try
        {
            await pieces.DisposeAsync();
        }
        catch (Exception e)
        {
            // The worker's silo may be gone; the enumeration then ends with it.
            LogWindDownFailed(logger, worker.WorkerId, e.Message);
        }
    }

    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context)
    {
        var response = new ListModelsResponse();
        var served = pool.Models();
        foreach (var (model, replicas) in served)
        {
            if (cascades.Find(model.Id) is not null)
            {
                // A route of that name wins: the id lists once, as what a request for it gets.
                continue;
            }

            var info = model.Clone();
            info.Replicas = replicas;
            response.Models.Add(info);
        }

        response.Models.Add(cascades.AsModels(served));
        return Task.FromResult(response);
    }

    /// <summary>The validated request with its model resolved, and what the workers report of that model.</summary>
    private (GenerateRequest Forwarded, ModelInfo Model) Prepare(GenerateRequest request)
    {
        if (validator.Validate(request) is { } problem)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, problem));
        }

        var model = ResolveModelInfo(request.Model);
        var forwarded = request.Clone();
        forwarded.Model = model.Id;
        return (forwarded, model);
    }

    /// <summary>The validated request for a cascade route, named by the route.</summary>
    private GenerateRequest PrepareCascade(GenerateRequest request, CascadeRoute route)
    {
        if (validator.Validate(request) is { } problem)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, problem));
        }

        var forwarded = request.Clone();
        forwarded.Model = route.Name;
        return forwarded;
    }

    /// <summary>
    /// The model a request for <paramref name="requested"/> gets (the default when empty). A refusal is counted as a
    /// request the gateway ended, as <see cref="StreamAsync"/> counts the ones it refuses: the HTTP API resolves the
    /// model before it streams, so its 404s would otherwise go uncounted.
    /// </summary>
    /// <exception cref="RpcException">NOT_FOUND for a model no worker serves; UNAVAILABLE when none can serve it now.</exception>
    public string ResolveModel(string requested)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            if (cascades.Find(requested.Length > 0 ? requested : options.Value.DefaultModel ?? "") is { } route)
            {
                return route.Name;
            }

            return ResolveModelInfo(requested).Id;
        }
        catch (RpcException e)
        {
            metrics.RequestEnded(new RequestRecord(RequestRecord.UnknownModel, StatusName(e.StatusCode), RequestRecord.FromGateway,
                Stopwatch.GetElapsedTime(started), null, 0, 0, 0));
            throw;
        }
    }

    /// <summary>One read of the pool per request: the resolved model carries the file hash the cache key needs.</summary>
    private ModelInfo ResolveModelInfo(string requested)
    {
        // The common case, a model that a routable worker serves, without grouping every worker's models.
        if (requested.Length > 0 && pool.ServedModel(requested) is { } named)
        {
            return named;
        }

        var served = pool.Models();
        if (requested.Length == 0)
        {
            requested = options.Value.DefaultModel ?? (served.Count > 0 ? served[0].Model.Id : "");
            if (requested.Length == 0)
            {
                throw NoWorker("any model");
            }
        }

        if (served.FirstOrDefault(m => m.Model.Id == requested).Model is { } model)
        {
            return model;
        }

        // A model that only unhealthy workers serve is unavailable, not unknown.
        if (pool.Workers.Any(w => w.Serves(requested)) || pool.Workers.All(w => w.Models.Count == 0))
        {
            throw NoWorker($"model '{requested}'");
        }

        var known = pool.Workers.SelectMany(w => w.Models).Select(m => m.Id).Concat(cascades.All.Select(r => r.Name)).Distinct().Order(StringComparer.Ordinal);
        throw new RpcException(new Status(StatusCode.NotFound, $"Model '{requested}' is not served here. Available models: {string.Join(", ", known)}."));
    }

    private WorkerEndpoint.Lease AcquireOrThrow(in RouteRequest route, List<WorkerEndpoint> tried, RpcException? atCapacity)
    {
        // Workers that are merely full make the cluster busy (retry later), not unavailable.
        var lease = router.Acquire(route, tried) ?? throw (atCapacity is null
            ? NoWorker($"model '{route.Model}'")
            : new RpcException(new Status(StatusCode.ResourceExhausted,
                $"Every worker serving model '{route.Model}' that was tried is at capacity ({atCapacity.Status.Detail}). Retry shortly."), atCapacity.Trailers));
        tried.Add(lease.Worker);
        return lease;
    }

    private RpcException NoWorker(string what)
    {
        var healthy = pool.Workers.Count(w => w.IsRoutable);
        return new RpcException(new Status(StatusCode.Unavailable,
            $"No worker can serve {what} right now ({pool.Workers.Count} in the cluster, {healthy} healthy). Retry shortly, or start a worker."));
    }

    private void OnWorkerFailed(WorkerEndpoint worker, Exception e, RpcException failure, bool lost)
    {
        LogWorkerFailed(logger, worker.WorkerId, failure.StatusCode, e.Message);
        if (lost)
        {
            // Out of rotation at once rather than when membership catches up; its next status answer puts it back.
            worker.IsHealthy = false;
            directory.Refresh();
        }
        else if (e is ModelWorkerException { Kind: WorkerErrorKind.Unavailable })
        {
            worker.IsDraining = true;
        }
    }

    /// <summary>What the wrapper needs to know from the inner stream: the model, whether a worker was called, the trace.</summary>
    private sealed class RequestProgress
    {
        public string? Model { get; set; }

        public bool ReachedWorker { get; set; }

        public ActivityContext Trace { get; init; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {WorkerId} sent a piece after its closing piece; it was dropped")]
    private static partial void LogChunkAfterClosing(ILogger logger, string workerId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Worker {WorkerId} did not end a finished generation cleanly: {Detail}")]
    private static partial void LogWindDownFailed(ILogger logger, string workerId, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {WorkerId} failed a call: {Status} {Detail}")]
    private static partial void LogWorkerFailed(ILogger logger, string workerId, StatusCode status, string detail);
}

using Grpc.Core;
using SlmCluster.Client;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Caching;
using SlmCluster.Gateway.Costs;
using SlmCluster.Gateway.Hosting;
using SlmCluster.Gateway.Observability;
using SlmCluster.Gateway.Routing;
using SlmCluster.Protocol.V1;
using SlmCluster.ServiceDefaults.Tracing;

namespace SlmCluster.Gateway.Api;

/// <summary>
/// The gateway's <c>slm.v1.Inference</c>: validates, picks a worker serving the model, and forwards;
/// a call that fails before its first token is retried on another worker.
/// </summary>
public sealed partial class GatewayInferenceService(
    WorkerPool pool,
    IWorkerRouter router,
    GenerateRequestValidator validator,
    WorkerHealthMonitor monitor,
    ResponseCache cache,
    SingleFlight singleFlight,
    GatewayMetrics metrics,
    ReferencePricing pricing,
    IOptions<GatewayOptions> options,
    ILogger<GatewayInferenceService> logger) : Protocol.V1.Inference.InferenceBase
{
    private const string CacheWorkerId = "cache";

    /// <summary>How long the worker's status may take to follow its closing chunk before the call is dropped.</summary>
    private static readonly TimeSpan WorkerTrailersTimeout = TimeSpan.FromSeconds(10);

    public override Task<GenerateResponse> Generate(GenerateRequest request, ServerCallContext context) =>
        StreamAsync(request, DeadlineOf(context), context.CancellationToken, AfterResponse(context)).CollectAsync(context.CancellationToken);

    public override Task GenerateStream(GenerateRequest request, IServerStreamWriter<GenerateChunk> responseStream, ServerCallContext context) =>
        StreamAsync(request, DeadlineOf(context), context.CancellationToken, AfterResponse(context)).WriteToAsync(responseStream, context.CancellationToken);

    /// <summary>The caller's deadline, or null when it set none (the server then sees <see cref="DateTime.MaxValue"/>).</summary>
    private static DateTime? DeadlineOf(ServerCallContext context) => context.Deadline == DateTime.MaxValue ? null : context.Deadline;

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
    public async IAsyncEnumerable<GenerateChunk> StreamAsync(GenerateRequest request, DateTime? deadline,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken, Action<Action>? afterResponse = null)
    {
        using var activity = SlmActivitySources.Gateway.StartActivity("slm.gateway.generate", ActivityKind.Server);
        var progress = new RequestProgress { Trace = activity?.Context ?? default };
        var started = Stopwatch.GetTimestamp();
        TimeSpan? firstText = null;
        Served? served = null;
        Usage? usage = null;
        var status = "cancelled";
        await using var chunks = StreamCoreAsync(request, deadline, progress, cancellationToken).GetAsyncEnumerator(cancellationToken);
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

    /// <summary>Validates, then answers from the cache or a worker.</summary>
    private async IAsyncEnumerable<GenerateChunk> StreamCoreAsync(GenerateRequest request, DateTime? deadline, RequestProgress progress,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var (forwarded, model) = Prepare(request);
        progress.Model = forwarded.Model;
        if (CacheKeyOf(forwarded, model) is not { } key)
        {
            await foreach (var chunk in FromWorkersAsync(forwarded, deadline, progress, cancellationToken))
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
            await foreach (var chunk in FromWorkersAsync(forwarded, deadline, progress, cancellationToken))
            {
                text.Append(chunk.Text);
                if (chunk.Usage is not null)
                {
                    answer = new GenerateResponse { Text = text.ToString(), FinishReason = chunk.FinishReason, Usage = chunk.Usage };
                    // Kept before the closing chunk leaves: it ends the caller's call, and a repeat sent at once must find it.
                    if (IsWhole(answer) && cache.IsEnabled)
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

    /// <summary>A cached answer as a stream: its text, then the closing chunk, marked as a hit that cost nothing.</summary>
    private static IEnumerable<GenerateChunk> Replay(GenerateResponse hit, string model, long started)
    {
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (hit.Text.Length > 0)
        {
            yield return new GenerateChunk { Text = hit.Text };
        }

        yield return new GenerateChunk
        {
            FinishReason = hit.FinishReason,
            Usage = hit.Usage,
            Served = new Served { WorkerId = CacheWorkerId, Model = model, CacheHit = true, TimeToFirstTokenMs = elapsed, TotalMs = elapsed },
        };
    }

    /// <summary>
    /// Picks a worker and streams its chunks. A worker that fails before its first chunk is replaced by
    /// another; after that the failure is the caller's.
    /// </summary>
    private async IAsyncEnumerable<GenerateChunk> FromWorkersAsync(GenerateRequest forwarded, DateTime? deadline, RequestProgress progress,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var route = RouteRequest.For(forwarded, options.Value.Routing.AffinityPrefixCharacters);
        var tried = new List<WorkerEndpoint>();
        RpcException? atCapacity = null;
        while (true)
        {
            using var lease = AcquireOrThrow(route, tried, atCapacity);
            var worker = lease.Worker;
            progress.ReachedWorker = true;
            using var activity = SlmActivitySources.Gateway.StartActivity("slm.gateway.worker_call", ActivityKind.Client, progress.Trace);
            activity?.SetTag("slm.worker", worker.Address.ToString());
            var call = worker.Inference.GenerateStream(forwarded,
                new CallOptions(headers: TraceHeaders(activity), deadline: deadline, cancellationToken: cancellationToken));
            var handedOff = false;
            try
            {
                var sent = 0;
                while (true)
                {
                    bool more;
                    try
                    {
                        more = await call.ResponseStream.MoveNext(cancellationToken);
                    }
                    catch (RpcException e) when (sent == 0 && ShouldRetry(e, tried, cancellationToken))
                    {
                        OnWorkerFailed(worker, e);
                        atCapacity = e.StatusCode == StatusCode.ResourceExhausted ? e : atCapacity;
                        break;
                    }
                    catch (RpcException e) when (sent > 0 && e.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown)
                    {
                        OnWorkerFailed(worker, e);
                        throw new RpcException(new Status(StatusCode.Unavailable,
                            $"Worker {worker.Address} failed after {sent} chunks had been sent; the answer is incomplete. Retry the request. ({e.Status.Detail})"));
                    }

                    if (!more)
                    {
                        yield break;
                    }

                    sent++;
                    var chunk = call.ResponseStream.Current;
                    if (chunk.Usage is not null)
                    {
                        // The closing chunk makes the answer whole: the caller gets it (and its status) without waiting
                        // for the worker's trailers, which are read behind it.
                        handedOff = true;
                        _ = FinishWorkerCallAsync(call, worker);
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
                    call.Dispose();
                }
            }
        }
    }

    /// <summary>Reads a worker call's status after its closing chunk, so the call ends cleanly instead of being reset.</summary>
    private async Task FinishWorkerCallAsync(AsyncServerStreamingCall<GenerateChunk> call, WorkerEndpoint worker)
    {
        try
        {
            using var timeout = new CancellationTokenSource(WorkerTrailersTimeout);
            while (await call.ResponseStream.MoveNext(timeout.Token))
            {
                LogChunkAfterClosing(logger, worker.Address);
            }
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException)
        {
            LogTrailersFailed(logger, worker.Address, e.Message);
        }
        finally
        {
            call.Dispose();
        }
    }

    /// <summary>The W3C trace context of <paramref name="activity"/> as gRPC metadata, so the worker's span joins the trace.</summary>
    private static Metadata? TraceHeaders(Activity? activity)
    {
        if (activity?.Id is not { } id || activity.IdFormat != ActivityIdFormat.W3C)
        {
            return null;
        }

        var headers = new Metadata { { SlmActivitySources.TraceParentHeader, id } };
        if (activity.TraceStateString is { Length: > 0 } state)
        {
            headers.Add(SlmActivitySources.TraceStateHeader, state);
        }

        return headers;
    }

    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context)
    {
        var response = new ListModelsResponse();
        foreach (var (model, replicas) in pool.Models())
        {
            var info = model.Clone();
            info.Replicas = replicas;
            response.Models.Add(info);
        }

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

        var known = pool.Workers.SelectMany(w => w.Models).Select(m => m.Id).Distinct().Order(StringComparer.Ordinal);
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
            $"No worker can serve {what} right now ({pool.Workers.Count} configured, {healthy} healthy). Retry shortly, or start a worker."));
    }

    private bool ShouldRetry(RpcException e, List<WorkerEndpoint> tried, CancellationToken cancellationToken) =>
        e.StatusCode is StatusCode.Unavailable or StatusCode.ResourceExhausted
        && tried.Count < options.Value.MaxAttempts
        && !cancellationToken.IsCancellationRequested;

    private void OnWorkerFailed(WorkerEndpoint worker, RpcException e)
    {
        LogWorkerFailed(logger, worker.Address, e.StatusCode, e.Status.Detail);
        if (e.StatusCode == StatusCode.Unavailable)
        {
            // Out of rotation at once rather than at the next health round; the probe puts it back if it answers.
            worker.IsHealthy = false;
            _ = monitor.ProbeAsync(worker, CancellationToken.None);
        }
    }

    /// <summary>What the wrapper needs to know from the inner stream: the model, whether a worker was called, the trace.</summary>
    private sealed class RequestProgress
    {
        public string? Model { get; set; }

        public bool ReachedWorker { get; set; }

        public ActivityContext Trace { get; init; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Address} sent a chunk after its closing chunk; it was dropped")]
    private static partial void LogChunkAfterClosing(ILogger logger, Uri address);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Worker {Address} did not end a finished call cleanly: {Detail}")]
    private static partial void LogTrailersFailed(ILogger logger, Uri address, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Address} failed a call: {Status} {Detail}")]
    private static partial void LogWorkerFailed(ILogger logger, Uri address, StatusCode status, string detail);
}

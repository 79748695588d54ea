using System.Diagnostics;
using System.Runtime.CompilerServices;
using Grpc.Core;
using Microsoft.Extensions.Options;
using SlmCluster.Contracts;
using SlmCluster.Gateway.Configuration;
using SlmCluster.Gateway.Routing;
using SlmCluster.Protocol.V1;
using SlmCluster.ServiceDefaults.Tracing;

namespace SlmCluster.Gateway.Serving;

/// <summary>
/// Calls the worker grains of a request's model, with the gateway's one retry policy: a worker that fails before it
/// answers (its silo is gone, it is draining or full) is replaced by another, up to <c>Gateway:MaxAttempts</c>;
/// after its first piece the failure is the caller's, as UNAVAILABLE. Plain requests and cascade tiers both call
/// workers through it.
/// </summary>
public sealed partial class WorkerCaller(
    IWorkerRouter router,
    WorkerPool pool,
    WorkerDirectory directory,
    IOptions<GatewayOptions> options,
    ILogger<WorkerCaller> logger)
{
    /// <summary>How long a worker's enumeration may take to end after its closing piece before it is dropped.</summary>
    private static readonly TimeSpan WorkerWindDownTimeout = TimeSpan.FromSeconds(10);

    private IWorkerRouter Router => router;

    private GatewayOptions Options => options.Value;

    /// <summary>Streams a request's answer from a worker of its model as chunks; <paramref name="reachedWorker"/> runs when a worker is called.</summary>
    public async IAsyncEnumerable<GenerateChunk> StreamAsync(ServingRequest request, ActivityContext trace, Action? reachedWorker,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var attempts = new Attempts(this, request);
        while (true)
        {
            using var lease = attempts.Next();
            var worker = lease.Worker;
            reachedWorker?.Invoke();
            using var activity = SlmActivitySources.Gateway.StartActivity("slm.gateway.worker_call", ActivityKind.Client, trace);
            activity?.SetTag("slm.worker", worker.WorkerId);
            var pieces = worker.Grain.Generate(request.Call, cancellationToken).GetAsyncEnumerator(cancellationToken);
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
                        if (sent == 0 && attempts.Retries(e, worker, cancellationToken))
                        {
                            break;
                        }

                        throw sent > 0 && WorkerCalls.IsWorkerLost(e)
                            ? new RpcException(new Status(StatusCode.Unavailable,
                                $"Worker {worker.WorkerId} failed after {sent} chunks had been sent; the answer is incomplete. Retry the request. ({e.Message})"))
                            : WorkerCalls.ToRpcException(e, worker.WorkerId);
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
                        _ = FinishAsync(pieces, worker);
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

    /// <summary>One unary call to a worker of the request's model, retried on another as a stream is before its first piece.</summary>
    /// <exception cref="RpcException">No worker could answer.</exception>
    public async Task<T> CallAsync<T>(ServingRequest request, Func<IModelWorkerGrain, GenerationCall, Task<T>> call, CancellationToken cancellationToken)
    {
        var attempts = new Attempts(this, request);
        while (true)
        {
            using var lease = attempts.Next();
            try
            {
                return await call(lease.Worker.Grain, request.Call).WaitAsync(cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                if (!attempts.Retries(e, lease.Worker, cancellationToken))
                {
                    throw WorkerCalls.ToRpcException(e, lease.Worker.WorkerId);
                }
            }
        }
    }

    /// <summary>UNAVAILABLE: no routable worker serves <paramref name="what"/>, with the cluster's counts to act on.</summary>
    public RpcException NoWorker(string what)
    {
        var healthy = pool.Workers.Count(w => w.IsRoutable);
        return new RpcException(new Status(StatusCode.Unavailable,
            $"No worker can serve {what} right now ({pool.Workers.Count} in the cluster, {healthy} healthy). Retry shortly, or start a worker."));
    }

    /// <summary>Winds down a worker's enumeration after its closing piece, so the grain releases it at once.</summary>
    private async Task FinishAsync(IAsyncEnumerator<GenerationPiece> pieces, RoutedWorker worker)
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

    private async ValueTask DisposeQuietlyAsync(IAsyncEnumerator<GenerationPiece> pieces, RoutedWorker worker)
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

    private void OnWorkerFailed(RoutedWorker worker, Exception e, StatusCode status, bool lost)
    {
        LogWorkerFailed(logger, worker.WorkerId, status, e.Message);
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

    /// <summary>The attempts of one request: the workers tried, and whether the last refusals were for capacity.</summary>
    private sealed class Attempts(WorkerCaller caller, ServingRequest request)
    {
        private readonly RouteRequest _route = RouteRequest.For(request, caller.Options.Routing.AffinityPrefixCharacters);
        private readonly List<RoutedWorker> _tried = [];
        private RpcException? _atCapacity;

        /// <summary>A lease on the next worker to try.</summary>
        /// <exception cref="RpcException">None is left: RESOURCE_EXHAUSTED when those tried were full, else UNAVAILABLE.</exception>
        public RoutedWorker.Lease Next()
        {
            // Workers that are merely full make the cluster busy (retry later), not unavailable.
            var lease = caller.Router.Acquire(_route, _tried) ?? throw (_atCapacity is null
                ? caller.NoWorker($"model '{_route.Model}'")
                : new RpcException(new Status(StatusCode.ResourceExhausted,
                    $"Every worker serving model '{_route.Model}' that was tried is at capacity ({_atCapacity.Status.Detail}). Retry shortly."), _atCapacity.Trailers));
            _tried.Add(lease.Worker);
            return lease;
        }

        /// <summary>Whether to try another worker after <paramref name="worker"/> failed before answering; takes a lost worker out of routing either way.</summary>
        public bool Retries(Exception e, RoutedWorker worker, CancellationToken cancellationToken)
        {
            var lost = WorkerCalls.IsWorkerLost(e);
            var retry = WorkerCalls.IsRetryable(e) && _tried.Count < caller.Options.MaxAttempts && !cancellationToken.IsCancellationRequested;
            if (retry || lost)
            {
                var failure = WorkerCalls.ToRpcException(e, worker.WorkerId);
                caller.OnWorkerFailed(worker, e, failure.StatusCode, lost);
                if (retry && failure.StatusCode == StatusCode.ResourceExhausted)
                {
                    _atCapacity = failure;
                }
            }

            return retry;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {WorkerId} sent a piece after its closing piece; it was dropped")]
    private static partial void LogChunkAfterClosing(ILogger logger, string workerId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Worker {WorkerId} did not end a finished generation cleanly: {Detail}")]
    private static partial void LogWindDownFailed(ILogger logger, string workerId, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {WorkerId} failed a call: {Status} {Detail}")]
    private static partial void LogWorkerFailed(ILogger logger, string workerId, StatusCode status, string detail);
}

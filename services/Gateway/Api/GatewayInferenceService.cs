using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Hosting;
using SlmCluster.Gateway.Routing;
using SlmCluster.Grpc;
using SlmCluster.Protocol.V1;

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
    IOptions<GatewayOptions> options,
    ILogger<GatewayInferenceService> logger)
{
    public async Task<GenerateResponse> GenerateAsync(GenerateRequest request, ServerCallContext context)
    {
        var forwarded = Prepare(request);
        var tried = new List<WorkerEndpoint>();
        while (true)
        {
            var worker = PickOrThrow(forwarded.Model, tried);
            using var lease = worker.Begin();
            try
            {
                return await worker.Inference.GenerateAsync(forwarded, ForwardOptions(context));
            }
            catch (RpcException e) when (ShouldRetry(e, tried, context))
            {
                OnWorkerFailed(worker, e);
            }
        }
    }

    public async Task GenerateStreamAsync(GenerateRequest request, IServerStreamWriter<GenerateChunk> writer, ServerCallContext context)
    {
        var forwarded = Prepare(request);
        var tried = new List<WorkerEndpoint>();
        while (true)
        {
            var worker = PickOrThrow(forwarded.Model, tried);
            using var lease = worker.Begin();
            var sent = 0;
            try
            {
                await using var call = worker.Inference.GenerateStream(forwarded, ForwardOptions(context));
                await foreach (var chunk in call.ReadAllAsync(context.CancellationToken))
                {
                    await writer.WriteAsync(chunk, context.CancellationToken);
                    sent++;
                }

                return;
            }
            catch (RpcException e) when (sent == 0 && ShouldRetry(e, tried, context))
            {
                OnWorkerFailed(worker, e);
            }
            catch (RpcException e) when (sent > 0 && e.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown)
            {
                OnWorkerFailed(worker, e);
                throw new RpcException(StatusCode.Unavailable,
                    $"Worker {worker.Address} failed after {sent} chunks had been sent; the answer is incomplete. Retry the request. ({e.Detail})");
            }
        }
    }

    public Task<ListModelsResponse> ListModelsAsync(ListModelsRequest request, ServerCallContext context)
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

    private GenerateRequest Prepare(GenerateRequest request)
    {
        if (validator.Validate(request) is { } problem)
        {
            throw new RpcException(StatusCode.InvalidArgument, problem);
        }

        var forwarded = request.Clone();
        forwarded.Model = ResolveModel(request.Model);
        return forwarded;
    }

    private string ResolveModel(string requested)
    {
        var served = pool.Models();
        if (requested.Length == 0)
        {
            requested = options.Value.DefaultModel ?? (served.Count > 0 ? served[0].Model.Id : "");
            if (requested.Length == 0)
            {
                throw NoWorker("any model");
            }
        }

        if (served.Any(m => m.Model.Id == requested))
        {
            return requested;
        }

        // A model that only unhealthy workers serve is unavailable, not unknown.
        if (pool.Workers.Any(w => w.Serves(requested)) || pool.Workers.All(w => w.Models.Count == 0))
        {
            throw NoWorker($"model '{requested}'");
        }

        var known = pool.Workers.SelectMany(w => w.Models).Select(m => m.Id).Distinct().Order(StringComparer.Ordinal);
        throw new RpcException(StatusCode.NotFound, $"Model '{requested}' is not served here. Available models: {string.Join(", ", known)}.");
    }

    private WorkerEndpoint PickOrThrow(string model, List<WorkerEndpoint> tried)
    {
        var worker = router.Pick(model, tried) ?? throw NoWorker($"model '{model}'");
        tried.Add(worker);
        return worker;
    }

    private RpcException NoWorker(string what)
    {
        var healthy = pool.Workers.Count(w => w.IsHealthy);
        return new RpcException(StatusCode.Unavailable,
            $"No worker can serve {what} right now ({pool.Workers.Count} configured, {healthy} healthy). Retry shortly, or start a worker.");
    }

    private bool ShouldRetry(RpcException e, List<WorkerEndpoint> tried, ServerCallContext context) =>
        e.StatusCode is StatusCode.Unavailable or StatusCode.ResourceExhausted
        && tried.Count < options.Value.MaxAttempts
        && !context.CancellationToken.IsCancellationRequested;

    private void OnWorkerFailed(WorkerEndpoint worker, RpcException e)
    {
        LogWorkerFailed(logger, worker.Address, e.StatusCode, e.Detail);
        if (e.StatusCode == StatusCode.Unavailable)
        {
            _ = monitor.ProbeAsync(worker, CancellationToken.None);
        }
    }

    private static CallOptions ForwardOptions(ServerCallContext context) =>
        new(Deadline: context.Deadline, CancellationToken: context.CancellationToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Address} failed a call: {Status} {Detail}")]
    private static partial void LogWorkerFailed(ILogger logger, Uri address, StatusCode status, string detail);
}

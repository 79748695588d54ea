using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using Grpc.Core;
using SlmCluster.Gateway.Observability;
using SlmCluster.Gateway.Serving;
using SlmCluster.Gateway.Serving.Tools;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Cascade;

/// <summary>
/// Runs a request through a route's tiers. Every tier but the last is asked with token logprobs on (the caller gets
/// them only if it asked), its whole answer is held while it is judged (the request's format first,
/// <see cref="AnswerShapeJudge"/>, then <see cref="TierJudge"/>), and it is returned
/// when accepted, else the next tier is asked. A prompt longer than a tier's <c>SkipWhenPromptTokensOver</c> (counted
/// by one of its workers) skips it; a tier that fails hands the request on. The last tier is not judged: it streams to
/// the caller as it generates. Should it fail before sending anything, the caller gets its failure (naming the tier),
/// or, with <see cref="LastTierFailure.BestLowerTier"/>, the most confident answer a lower tier gave. The closing
/// chunk's <c>served</c> names the answering tier's worker and model, costs the whole request, and carries the
/// cascade record.
/// </summary>
public sealed partial class CascadeRunner(
    ExternalTierClient external,
    CascadeMetrics metrics,
    CascadeStats stats,
    ILogger<CascadeRunner> logger)
{
    /// <summary>Streams a request from workers of its model (with the gateway's retries): how cluster tiers are asked.</summary>
    public delegate IAsyncEnumerable<GenerateChunk> WorkerStream(ServingRequest request, CancellationToken cancellationToken);

    /// <summary>Counts a request's prompt tokens as a worker of its model does (with the gateway's retries).</summary>
    public delegate Task<int> PromptTokenCount(ServingRequest request, CancellationToken cancellationToken);

    /// <summary>How a route's cluster tiers reach their workers: the pipeline's <see cref="WorkerCaller"/>, one retry policy for both.</summary>
    public readonly record struct TierWorkers(WorkerStream Stream, PromptTokenCount CountPromptTokens);

    /// <param name="request">Validated; its model is the route's name.</param>
    /// <param name="toolCalls">The reader of the answer's tool calls when the request offers tools: a judged tier's answer must be valid calls.</param>
    /// <exception cref="RpcException">The last tier failed (and no lower tier's answer stands in for it).</exception>
    public async IAsyncEnumerable<GenerateChunk> RunAsync(CascadeRoute route, ServingRequest request, TierWorkers workers, ToolCallReader? toolCalls,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var trail = new CascadeTrail(route, Stopwatch.GetTimestamp());
        var wantsLogprobs = request.Call.Logprobs;
        var escalatedAnswers = new List<HeldAnswer>();
        var why = "the route's only tier";
        try
        {
            foreach (var tier in route.Tiers)
            {
                if (tier.IsLast)
                {
                    break;
                }

                var tierStarted = Stopwatch.GetTimestamp();
                if (tier.SkipWhenPromptTokensOver is { } limit)
                {
                    var (tokens, countFailure) = await CountPromptTokensAsync(tier, request, workers, cancellationToken);
                    if (countFailure is not null)
                    {
                        why = Failed(trail, tier, countFailure, tierStarted);
                        continue;
                    }

                    if (tokens > limit)
                    {
                        why = $"prompt is {tokens} tokens > {limit}, {tier} skipped";
                        Attempt(trail, tier, TierOutcome.Skipped, CompletionConfidence.None, new Usage { PromptTokens = tokens }, 0, tierStarted);
                        continue;
                    }
                }

                var (held, failure) = await HoldAsync(tier, TierRequest(request, tier, judged: true), workers.Stream, cancellationToken);
                if (held is null)
                {
                    why = Failed(trail, tier, failure!, tierStarted);
                    continue;
                }

                var shape = AnswerShapeJudge.Problem(request.ResponseFormat, held.Text, held.Closing.FinishReason)
                    ?? AnswerShapeJudge.ToolCallProblem(request.Tools, toolCalls, held.Text, held.Closing.FinishReason);
                var verdict = shape is null ? TierJudge.Judge(tier.Accept!, held.Text, held.Confidence) : new TierVerdict(false, shape);
                var cost = held.Closing.Served?.CostUsd ?? 0;
                if (!verdict.Accepted)
                {
                    why = $"{verdict.Reason} ({tier})";
                    Attempt(trail, tier, TierOutcome.Escalated, held.Confidence, held.Closing.Usage, cost, tierStarted);
                    escalatedAnswers.Add(held);
                    continue;
                }

                Attempt(trail, tier, TierOutcome.Accepted, held.Confidence, held.Closing.Usage, cost, tierStarted);
                foreach (var chunk in Release(trail, held, verdict.Reason, wantsLogprobs))
                {
                    yield return chunk;
                }

                yield break;
            }

            var last = route.LastTier;
            var lastStarted = Stopwatch.GetTimestamp();
            var lastRequest = TierRequest(request, last, judged: false);
            var source = last.External is null
                ? workers.Stream(lastRequest, cancellationToken)
                : external.StreamAsync(route, last, lastRequest, cancellationToken);
            await using var chunks = source.GetAsyncEnumerator(cancellationToken);
            var sentText = false;
            while (true)
            {
                RpcException? failure = null;
                try
                {
                    if (!await chunks.MoveNextAsync())
                    {
                        failure = new RpcException(new Status(StatusCode.Unavailable, "the answer ended without its closing chunk"));
                    }
                }
                catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = e;
                }

                if (failure is not null)
                {
                    failure = Named(route, last, failure);
                    Failed(trail, last, failure, lastStarted);
                    if (!sentText && route.OnLastTierFailure == LastTierFailure.BestLowerTier && MostConfident(escalatedAnswers) is { } best)
                    {
                        var reason = $"fallback: {last} failed ({failure.StatusCode}); answered with the most confident lower tier, {best.Tier}"
                            + (best.Confidence.Tokens > 0 ? $" (mean logprob {TierJudge.Number(best.Confidence.MeanLogprob)})" : "");
                        foreach (var chunk in Release(trail, best, reason, wantsLogprobs))
                        {
                            yield return chunk;
                        }

                        yield break;
                    }

                    throw failure;
                }

                var current = chunks.Current;
                if (!wantsLogprobs)
                {
                    current.Logprobs.Clear();
                }

                if (current.Usage is null)
                {
                    if (current.Text.Length > 0)
                    {
                        sentText = true;
                        trail.TextSent();
                    }

                    yield return current;
                    continue;
                }

                var lastCost = current.Served?.CostUsd ?? 0;
                Attempt(trail, last, TierOutcome.Accepted, CompletionConfidence.None, current.Usage, lastCost, lastStarted);
                if (last.External is null)
                {
                    stats.LastTierRan(route.Name, lastCost, (long)current.Usage.PromptTokens + current.Usage.CompletionTokens);
                }

                if (current.Text.Length > 0)
                {
                    trail.TextSent();
                }

                current.Served = trail.Close(current.Served, last, why, CompletionConfidence.None, lastCost);
                yield return current;
                yield break;
            }
        }
        finally
        {
            if (trail.Attempts.Count > 0)
            {
                metrics.RequestEnded(route, trail.Escalated, trail.CostUsd, trail.LastTierCostUsd ?? 0);
            }
        }
    }

    /// <summary>The request as a tier gets it: its model, and logprobs on for a tier that is judged.</summary>
    internal static ServingRequest TierRequest(ServingRequest request, CascadeTier tier, bool judged)
    {
        var call = request.Call with { Model = tier.Model ?? tier.External?.Model ?? "" };
        return request with { Call = judged ? call with { Logprobs = true } : call };
    }

    /// <summary>A held answer to the caller: its chunks as they came, then its closing chunk with the cascade record.</summary>
    private IEnumerable<GenerateChunk> Release(CascadeTrail trail, HeldAnswer held, string reason, bool wantsLogprobs)
    {
        var route = trail.Route;
        var usage = held.Closing.Usage;
        var lastTierCost = CascadeCosts.LastTierCost(route.LastTier, null, usage?.PromptTokens ?? 0, usage?.CompletionTokens ?? 0,
            held.Closing.Served?.CostUsd ?? 0, stats.LastTierUsdPerToken(route.Name));
        foreach (var chunk in held.Chunks)
        {
            if (!wantsLogprobs)
            {
                chunk.Logprobs.Clear();
            }

            if (chunk.Text.Length > 0)
            {
                trail.TextSent();
            }

            yield return chunk;
        }

        var closing = held.Closing;
        if (!wantsLogprobs)
        {
            closing.Logprobs.Clear();
        }

        if (closing.Text.Length > 0)
        {
            trail.TextSent();
        }

        closing.Served = trail.Close(closing.Served, held.Tier, reason, held.Confidence, lastTierCost);
        LogAnswered(logger, route.Name, held.Tier.Number, reason);
        yield return closing;
    }

    /// <summary>Asks a judged tier and holds its whole answer; its failure instead when it failed.</summary>
    private static async Task<(HeldAnswer? Answer, RpcException? Failure)> HoldAsync(CascadeTier tier, ServingRequest request, WorkerStream fromWorkers,
        CancellationToken cancellationToken)
    {
        var chunks = new List<GenerateChunk>();
        var text = new StringBuilder();
        var logprobs = new List<double>();
        try
        {
            await foreach (var chunk in fromWorkers(request, cancellationToken).WithCancellation(cancellationToken))
            {
                text.Append(chunk.Text);
                logprobs.AddRange(chunk.Logprobs.Select(l => (double)l.Logprob));
                if (chunk.Usage is not null)
                {
                    return (new HeldAnswer(tier, chunks, chunk, text.ToString(), CompletionConfidence.Of(logprobs)), null);
                }

                chunks.Add(chunk);
            }

            return (null, new RpcException(new Status(StatusCode.Unavailable, "the answer ended without its closing chunk")));
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, e);
        }
    }

    /// <summary>The prompt's tokens as the tier's model counts them (its chat template applied), asked of one of its workers.</summary>
    private static async Task<(int Tokens, RpcException? Failure)> CountPromptTokensAsync(CascadeTier tier, ServingRequest request, TierWorkers workers,
        CancellationToken cancellationToken)
    {
        try
        {
            return (await workers.CountPromptTokens(TierRequest(request, tier, judged: false), cancellationToken), null);
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            return (0, e);
        }
    }

    /// <summary>The most confident of the answers lower tiers gave: by mean logprob, then lowest logprob; answers without logprobs last, a later tier first.</summary>
    internal static HeldAnswer? MostConfident(IReadOnlyList<HeldAnswer> answers) => answers
        .Where(a => a.Text.Length > 0)
        .OrderByDescending(a => a.Confidence.Tokens > 0)
        .ThenByDescending(a => a.Confidence.Tokens > 0 ? a.Confidence.MeanLogprob : 0)
        .ThenByDescending(a => a.Confidence.Tokens > 0 ? a.Confidence.MinLogprob : 0)
        .ThenByDescending(a => a.Tier.Number)
        .FirstOrDefault();

    /// <summary>A last tier's failure, its message naming the route and the tier (an external tier's already does).</summary>
    private static RpcException Named(CascadeRoute route, CascadeTier tier, RpcException failure) => tier.External is not null
        ? failure
        : new RpcException(new Status(failure.StatusCode, $"Cascade route '{route.Name}', {tier} (model '{tier.Model}'): {failure.Status.Detail}"), failure.Trailers);

    private string Failed(CascadeTrail trail, CascadeTier tier, RpcException failure, long tierStarted)
    {
        LogTierFailed(logger, trail.Route.Name, tier.Number, tier.Name, failure.StatusCode, failure.Status.Detail);
        Attempt(trail, tier, TierOutcome.Error, CompletionConfidence.None, null, 0, tierStarted);
        return $"{tier} failed ({failure.StatusCode})";
    }

    private void Attempt(CascadeTrail trail, CascadeTier tier, string outcome, CompletionConfidence confidence, Usage? usage, double costUsd, long tierStarted)
    {
        trail.Add(tier, outcome, confidence, usage, costUsd, Stopwatch.GetElapsedTime(tierStarted).TotalMilliseconds);
        metrics.Attempt(trail.Route, tier, outcome);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cascade route {Route}: tier {Tier} '{TierName}' failed: {Status} {Detail}")]
    private static partial void LogTierFailed(ILogger logger, string route, int tier, string tierName, StatusCode status, string detail);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Cascade route {Route}: tier {Tier} answered ({Reason})")]
    private static partial void LogAnswered(ILogger logger, string route, int tier, string reason);
}

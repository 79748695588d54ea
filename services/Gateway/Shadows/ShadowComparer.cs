using System.Text;
using Grpc.Core;
using Microsoft.Extensions.Options;
using SlmCluster.Contracts;
using SlmCluster.Evaluation;
using SlmCluster.Gateway.Cascade;
using SlmCluster.Gateway.Observability;
using SlmCluster.Gateway.Routing;
using SlmCluster.Gateway.Serving;
using SlmCluster.Gateway.Serving.Embeddings;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Shadows;

/// <summary>
/// The shadow comparison: a sample of a target's answered requests (<see cref="ShadowTargetOptions.Rate"/>, drawn by
/// <see cref="ShadowSampler"/>) is asked again of its reference, a larger cluster model or an external endpoint, with
/// the same prompt and sampling, and the pair is scored (<see cref="AnswerAgreement"/>) and kept per route, tier and
/// model; the reference's cost is counted apart. A shadow is started only once the caller has its whole answer, runs
/// in the background and is never awaited by the caller, and is the first thing given up: it is shed when the
/// target's or the gateway's cap is reached, or when the gateway is busy (<see cref="ShadowOptions.ShedWhenOutstandingOver"/>,
/// else when the workers have no free slot). A reference that fails or times out costs the caller nothing.
/// </summary>
public sealed partial class ShadowComparer(
    ShadowTargets targets,
    IOptions<ShadowOptions> options,
    WorkerCaller workers,
    WorkerPool pool,
    ExternalTierClient external,
    EmbeddingPipeline embeddings,
    ShadowMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILogger<ShadowComparer> logger)
{
    private readonly ShadowSampler _sampler = new(options.Value.Seed);
    private int _running;

    private ShadowOptions Options => options.Value;

    /// <summary>Shadows running now, all targets together.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>A ticket when this request is drawn for a shadow (its target is shadowed and the draw falls within its rate); else null.</summary>
    public ShadowTicket? Draw(PreparedRequest prepared)
    {
        if (!targets.Any || targets.Find(prepared.Target.Id) is not { } target || !_sampler.Next(target.Rate))
        {
            return null;
        }

        return new ShadowTicket(target, prepared);
    }

    /// <summary>
    /// The caller has its whole answer (<paramref name="served"/>): start the shadow in the background, or shed it.
    /// Returns at once.
    /// </summary>
    public void Offer(ShadowTicket ticket, Served served)
    {
        var target = ticket.Target;
        if (!target.TryEnter())
        {
            metrics.Shadow(target, ShadowMetrics.ShedCap);
            return;
        }

        if (Interlocked.Increment(ref _running) > Options.MaxConcurrent)
        {
            Leave(target);
            metrics.Shadow(target, ShadowMetrics.ShedCap);
            return;
        }

        if (UnderLoad(target))
        {
            Leave(target);
            metrics.Shadow(target, ShadowMetrics.ShedLoad);
            return;
        }

        metrics.Shadow(target, ShadowMetrics.Started);
        var (tier, model) = served.Cascade is { } record ? (record.TierName, record.Model) : (ShadowMetrics.ModelTier, served.Model);
        var answer = ticket.Answer();
        // On the thread pool, off the caller's path: the caller's stream has ended and nothing waits for this.
        _ = Task.Run(() => RunAsync(ticket, answer, tier, model));
    }

    /// <summary>Busy enough that a shadow would take capacity a caller could use.</summary>
    private bool UnderLoad(ShadowTarget target)
    {
        var workers = pool.Workers;
        if (Options.ShedWhenOutstandingOver is { } limit)
        {
            return workers.Sum(w => w.Outstanding) > limit;
        }

        var candidates = workers.Where(w => w.IsRoutable && (target.ReferenceModel is not { } model || w.Serves(model))).ToArray();
        var slots = candidates.Sum(w => w.Slots);
        return slots > 0 && candidates.Sum(w => Math.Max(w.Outstanding, w.AnnouncedLoad ?? 0)) >= slots;
    }

    private void Leave(ShadowTarget target)
    {
        target.Leave();
        Interlocked.Decrement(ref _running);
    }

    private async Task RunAsync(ShadowTicket ticket, ScoredAnswer answer, string tier, string model)
    {
        var target = ticket.Target;
        var costUsd = 0.0;
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping);
        bounded.CancelAfter(Options.Timeout);
        try
        {
            var request = ReferenceRequest(ticket);
            var chunks = target.ExternalRoute is { } route
                ? external.StreamAsync(route, route.Tiers[0], request, bounded.Token)
                : workers.StreamAsync(request, default, null, bounded.Token);
            if (target.ExternalRoute is null && ticket.Prepared.ToolCalls is { } reader)
            {
                // A cluster reference was given the same tools, written the same way: its calls are read as the caller's were.
                chunks = reader.ReadAsync(chunks, bounded.Token);
            }

            var text = new StringBuilder();
            var calls = new SortedDictionary<int, (string Name, StringBuilder Arguments)>();
            await foreach (var chunk in chunks.WithCancellation(bounded.Token))
            {
                text.Append(chunk.Text);
                ShadowTicket.AddCalls(calls, chunk);
                if (chunk.Served is { } served)
                {
                    costUsd = served.CostUsd;
                }
            }

            var reference = new ScoredAnswer(text.ToString(), ShadowTicket.CallsOf(calls));
            if (Options.EmbeddingModel is { Length: > 0 } embeddingModel && answer.Text.Length > 0 && reference.Text.Length > 0)
            {
                (answer, reference) = await EmbedAsync(embeddingModel, answer, reference, bounded.Token);
            }

            var scores = AnswerAgreement.Score(answer, reference, structured: ticket.Prepared.Request.ResponseFormat?.Kind is ResponseFormatKind.JsonObject or ResponseFormatKind.JsonSchema);
            metrics.PairScored(target, tier, model, scores, costUsd);
            LogScored(logger, target.Name, tier, model, target.Reference, scores.FirstOrDefault(s => s.Metric == AgreementMetrics.F1).Value);
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException or ArgumentException or InvalidOperationException)
        {
            metrics.ShadowFailed(target, costUsd);
            LogFailed(logger, target.Name, target.Reference, e is RpcException rpc ? rpc.Status.Detail : e.Message);
        }
        finally
        {
            Leave(target);
        }
    }

    /// <summary>The caller's request as the reference gets it: the same prompt, sampling and limits, for the reference's model, without logprobs.</summary>
    internal static ServingRequest ReferenceRequest(ShadowTicket ticket)
    {
        var request = ticket.Prepared.Request;
        var model = ticket.Target.ReferenceModel ?? ticket.Target.Reference;
        return request with { Call = request.Call with { Model = model, Logprobs = false } };
    }

    private async Task<(ScoredAnswer Answer, ScoredAnswer Reference)> EmbedAsync(string model, ScoredAnswer answer, ScoredAnswer reference,
        CancellationToken cancellationToken)
    {
        var prepared = embeddings.Prepare(new EmbeddingServingRequest
        {
            Call = new EmbeddingCall { Model = model, Inputs = [new EmbeddingCallInput { Text = answer.Text }, new EmbeddingCallInput { Text = reference.Text }], Truncate = true },
        });
        var vectors = (await embeddings.EmbedAsync(prepared, cancellationToken)).Embeddings;
        return (answer with { Embedding = vectors[0].Values.ToArray() }, reference with { Embedding = vectors[1].Values.ToArray() });
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Shadow of {Target} ({Tier}, {Model}) against {Reference}: F1 {F1}")]
    private static partial void LogScored(ILogger logger, string target, string tier, string model, string reference, double f1);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shadow of {Target} against {Reference} failed; the caller was not affected: {Detail}")]
    private static partial void LogFailed(ILogger logger, string target, string reference, string detail);
}

using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using Grpc.Core;
using SlmCluster.Gateway.Caching;
using SlmCluster.Gateway.Cascade;
using SlmCluster.Gateway.Costs;
using SlmCluster.Gateway.Observability;
using SlmCluster.Gateway.Serving.Tools;
using SlmCluster.Gateway.Shadows;
using SlmCluster.Protocol.V1;
using SlmCluster.ServiceDefaults.Tracing;

namespace SlmCluster.Gateway.Serving;

/// <summary>
/// The one path every front door's requests take: <see cref="Prepare"/> applies the rules and resolves the model once;
/// <see cref="ServeAsync"/> answers from the response cache when the request is reproducible and was answered before
/// (or is being answered right now), else from a cascade route's tiers or a worker, with metrics and a trace around
/// the whole stream. The closing chunk carries the self-hosted cost and the reference API's. A request drawn for a
/// shadow comparison has its answer gathered as it leaves, and is offered to the <see cref="ShadowComparer"/> once the
/// caller has it all (never a cache hit, a failure or a cancelled one).
/// </summary>
public sealed class ServingPipeline(
    ServingRequestRules rules,
    ToolCallRules tools,
    ModelCatalog catalog,
    ResponseCache cache,
    SingleFlight singleFlight,
    WorkerCaller workers,
    CascadeRunner cascade,
    GatewayMetrics metrics,
    ReferencePricing pricing,
    ShadowComparer shadows)
{
    private const string CacheWorkerId = "cache";

    /// <summary>The request checked against the rules, with its model resolved; a refusal is counted as a request the gateway ended.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT with what to change; NOT_FOUND or UNAVAILABLE for its model.</exception>
    public PreparedRequest Prepare(ServingRequest request)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            if (rules.Validate(request) is { } problem)
            {
                throw new InvalidRequestException(problem);
            }

            request = rules.Constrain(request);
            var target = catalog.Resolve(request.Model);
            request = WithAdapters(request, target);
            if (target.Route is { } route && request.Call.Grammar is not null
                && route.Tiers.FirstOrDefault(t => t.External is not null) is { } external)
            {
                // Cluster tiers decode under the grammar and a judged tier's answer is validated before it is accepted;
                // an external endpoint is not asked for the format, so its answer could break it.
                throw new InvalidRequestException(new RequestProblem(
                    $"'{target.Id}' is a cascade route whose {external} is an external API, which is not constrained to a format; ask one of its cluster models directly.",
                    request.ResponseFormat!.Param));
            }

            if (target.Route is { } toolRoute && request.Tools is { Offered: true }
                && toolRoute.Tiers.FirstOrDefault(t => t.External is not null) is { } externalTier)
            {
                // Cluster tiers write calls under the tools' grammar and a judged tier's calls are validated; an
                // external endpoint is not asked for them in a format the gateway reads.
                throw new InvalidRequestException(new RequestProblem(
                    $"'{target.Id}' is a cascade route whose {externalTier} is an external API, which is not offered the tools; ask one of its cluster models directly.",
                    request.Tools.Param));
            }

            if (request.ResponseFormat is { } responseFormat)
            {
                metrics.Constrained(target.Id, responseFormat.Kind);
            }

            (request, var reader) = tools.Apply(request, catalog.ToolCallFormat(target));
            // An adapter's id runs on its base: the worker is asked for the base model with the adapter chosen.
            return new PreparedRequest(request.ForModel(target.Model?.Id ?? target.Id), target) { ToolCalls = reader };
        }
        catch (RpcException e)
        {
            metrics.RequestEnded(new RequestRecord(RequestRecord.UnknownModel, RequestRecord.StatusOf(e.StatusCode), RequestRecord.FromGateway,
                Stopwatch.GetElapsedTime(started), null, 0, 0, 0));
            Activity.Current?.SetStatus(ActivityStatusCode.Error, e.Status.Detail);
            throw;
        }
    }

    /// <summary>Streams the answer; its last chunk carries usage, served and the finish reason.</summary>
    /// <param name="afterResponse">Given, it is handed the request's bookkeeping to run once the answer has left; else it runs at the end of the stream.</param>
    /// <exception cref="RpcException">No worker or tier could serve it.</exception>
    public async IAsyncEnumerable<GenerateChunk> ServeAsync(PreparedRequest prepared,
        [EnumeratorCancellation] CancellationToken cancellationToken, Action<Action>? afterResponse = null)
    {
        using var activity = SlmActivitySources.Gateway.StartActivity("slm.gateway.generate", ActivityKind.Server);
        var trace = activity?.Context ?? default;
        var started = Stopwatch.GetTimestamp();
        var reachedWorker = false;
        TimeSpan? firstText = null;
        Served? served = null;
        Usage? usage = null;
        var status = "cancelled";
        var answer = AnswerAsync(prepared, trace, () => reachedWorker = true, cancellationToken);
        if (prepared.ToolCalls is { } toolCalls)
        {
            answer = toolCalls.ReadAsync(answer, cancellationToken);
        }

        var shadow = shadows.Draw(prepared);
        await using var chunks = answer.GetAsyncEnumerator(cancellationToken);
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

                var chunk = chunks.Current;
                if (firstText is null && (chunk.Text.Length > 0 || chunk.ToolCalls.Count > 0 || chunk.Served is not null))
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

                shadow?.Add(chunk);
                yield return chunk;
            }
        }
        finally
        {
            var source = served is not null
                ? served.CacheHit ? RequestRecord.FromCache : RequestRecord.FromWorker
                : reachedWorker ? RequestRecord.FromWorker : RequestRecord.FromGateway;
            var record = new RequestRecord(
                served?.Model is { Length: > 0 } model ? model : prepared.Request.Model,
                status,
                source,
                Stopwatch.GetElapsedTime(started),
                (usage?.CompletionTokens ?? 0) > 0 ? firstText : null,
                usage?.PromptTokens ?? 0,
                usage?.CompletionTokens ?? 0,
                served?.CostUsd ?? 0)
            {
                Adapter = Routing.RouteRequest.AdapterKeyOf(prepared.Request.Call.Adapters) is { Length: > 0 } adapters ? adapters : null,
            };
            if (afterResponse is null)
            {
                metrics.RequestEnded(record);
            }
            else
            {
                afterResponse(() => metrics.RequestEnded(record));
            }

            if (shadow is not null && status == "ok" && served is { CacheHit: false } answered)
            {
                // The caller has its whole answer: the shadow starts now (over gRPC once the response is on the wire)
                // and runs on its own; nothing here waits for it.
                if (afterResponse is null)
                {
                    shadows.Offer(shadow, answered);
                }
                else
                {
                    afterResponse(() => shadows.Offer(shadow, answered));
                }
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

    /// <summary>Answers from the cache, a cascade route's tiers, or a worker; a whole answer to a reproducible request is kept.</summary>
    private async IAsyncEnumerable<GenerateChunk> AnswerAsync(PreparedRequest prepared, ActivityContext trace, Action reachedWorker,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var request = prepared.Request;
        var generated = prepared.Target.Route is { } route
            ? cascade.RunAsync(route, request, new CascadeRunner.TierWorkers(
                (tierRequest, token) => workers.StreamAsync(catalog.OnBase(tierRequest), trace, reachedWorker, token),
                (tierRequest, token) => workers.CallAsync(catalog.OnBase(tierRequest), static (grain, call) => grain.CountPromptTokens(call), token)),
                prepared.ToolCalls, cancellationToken)
            : workers.StreamAsync(request, trace, reachedWorker, cancellationToken);
        if (CacheKeyOf(prepared) is not { } key)
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
            metrics.CacheHit(request.Model);
            foreach (var chunk in Replay(hit, request.Model, started))
            {
                yield return chunk;
            }

            yield break;
        }

        metrics.CacheMiss(request.Model);
        GenerateResponse? answer = null;
        try
        {
            var text = new StringBuilder();
            // A request that asked for logprobs has its own key, and its answer keeps them: a hit replays them.
            var logprobs = request.Call.Logprobs ? new List<TokenLogprob>() : null;
            await foreach (var chunk in generated)
            {
                text.Append(chunk.Text);
                logprobs?.AddRange(chunk.Logprobs);
                if (chunk.Usage is not null)
                {
                    // A cascade's answer keeps its record (which tier answered, and why) for its replays.
                    answer = new GenerateResponse
                    {
                        Text = text.ToString(),
                        FinishReason = chunk.FinishReason,
                        Usage = chunk.Usage,
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
                        cache.Store(key, answer, request.CacheTtlSeconds);
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

    /// <summary>
    /// The adapters the request runs with: the one its model id names (scale 1), and those its <c>lora</c> or
    /// <c>adapters</c> field names, by name or position in the base's list (a scale given there wins for the first).
    /// </summary>
    /// <exception cref="RpcException">NOT_FOUND for an adapter the model is not served with; INVALID_ARGUMENT for a bad position, scale or repeat.</exception>
    private static ServingRequest WithAdapters(ServingRequest request, ServingTarget target)
    {
        var references = request.Adapters ?? [];
        if (target.Adapter is null && references.Count == 0)
        {
            return request;
        }

        if (target.Route is not null || target.Model is null)
        {
            throw new InvalidRequestException(new RequestProblem(
                $"'{target.Id}' is a cascade route, which does not run adapters; name a model or an adapter directly.", references[0].Param));
        }

        var model = target.Model;
        var chosen = new List<Contracts.AdapterSelection>();
        if (target.Adapter is { } named)
        {
            chosen.Add(new Contracts.AdapterSelection(named, 1f));
        }

        foreach (var reference in references)
        {
            string name;
            if (reference.Name is { } byName)
            {
                if (!model.Adapters.Any(a => a.Name == byName))
                {
                    throw new RpcException(new Status(StatusCode.NotFound,
                        $"Adapter '{byName}' is not served for model '{model.Id}'. " +
                        (model.Adapters.Count == 0 ? "It has no adapters." : $"Its adapters: {string.Join(", ", model.Adapters.Select(a => a.Name))}.")));
                }

                name = byName;
            }
            else if (reference.Id is { } id && id >= 0 && id < model.Adapters.Count)
            {
                name = model.Adapters[id].Name;
            }
            else
            {
                throw new InvalidRequestException(new RequestProblem(
                    $"{reference.Param} is adapter {reference.Id}; model '{model.Id}' has {model.Adapters.Count} adapters" +
                    (model.Adapters.Count == 0 ? "." : $" (0 to {model.Adapters.Count - 1}: {string.Join(", ", model.Adapters.Select(a => a.Name))})."),
                    reference.Param));
            }

            if (!float.IsFinite(reference.Scale) || Math.Abs(reference.Scale) > MaxAdapterScale)
            {
                throw new InvalidRequestException(new RequestProblem(
                    $"{reference.Param} has scale {reference.Scale}; an adapter's scale is from -{MaxAdapterScale} to {MaxAdapterScale} (1 is the adapter as trained).",
                    reference.Param));
            }

            var at = chosen.FindIndex(c => c.Name == name);
            if (at == 0 && target.Adapter == name)
            {
                chosen[0] = new Contracts.AdapterSelection(name, reference.Scale);
            }
            else if (at >= 0)
            {
                throw new InvalidRequestException(new RequestProblem($"{reference.Param} names adapter '{name}' again; name each adapter once.", reference.Param));
            }
            else
            {
                chosen.Add(new Contracts.AdapterSelection(name, reference.Scale));
            }
        }

        return request with { Call = request.Call with { Adapters = chosen } };
    }

    /// <summary>Largest |scale| of an adapter: the engine's limit.</summary>
    public const float MaxAdapterScale = 8f;

    /// <summary>
    /// The cache key of a reproducible request, else null. A model is keyed with its file; a cascade route as the
    /// route (its name, its configuration's fingerprint and its cluster tiers' model files), so it never shares an
    /// entry with a request for one of its tiers' models, and a reconfigured route does not answer from its old
    /// shape's entries.
    /// </summary>
    private string? CacheKeyOf(PreparedRequest prepared)
    {
        if (!cache.IsConfiguredForUse || !ResponseCacheKey.IsCacheable(prepared.Request))
        {
            return null;
        }

        if (prepared.Target.Route is { } route)
        {
            return catalog.RouteIdentity(route) is { } identity ? ResponseCacheKey.For(prepared.Request, identity, cache.KeyPrefix) : null;
        }

        if (prepared.Target.Model is not { FileSha256.Length: > 0 } model)
        {
            return null;
        }

        // An adapter's answer depends on its file as the model's on its own: keyed only once every file is hashed.
        var adapterFiles = new List<string>();
        foreach (var adapter in prepared.Request.Call.Adapters ?? [])
        {
            if (model.Adapters.FirstOrDefault(a => a.Name == adapter.Name) is not { FileSha256.Length: > 0 } served)
            {
                return null;
            }

            adapterFiles.Add(served.FileSha256);
        }

        return ResponseCacheKey.For(prepared.Request, model.FileSha256, cache.KeyPrefix, adapterFiles);
    }

    /// <summary>A cascade route's answer given by a lower tier because its last tier failed (the last attempt is that failure).</summary>
    private static bool IsFallback(CascadeServed? record) => record is { Attempts.Count: > 0 } && record.Attempts[^1].Outcome == TierOutcome.Error;

    /// <summary>An answer that ended as the model or max_tokens ended it: the only kind shared or cached.</summary>
    private static bool IsWhole(GenerateResponse answer) => answer.FinishReason is FinishReason.Stop or FinishReason.Length;

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
}

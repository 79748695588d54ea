using System.Buffers;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Grpc.Core;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using SlmCluster.Client;
using SlmCluster.Gateway.Configuration;
using SlmCluster.Gateway.Costs;
using SlmCluster.Gateway.Security;
using SlmCluster.Gateway.Serving;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>
/// <c>POST /v1/chat/completions</c> and <c>POST /v1/completions</c>: read and map the body into the serving
/// pipeline's request, serve it, and shape its chunks as OpenAI does, whole or as server-sent events.
/// </summary>
public sealed partial class OpenAiCompletionHandler(
    ServingPipeline pipeline,
    ReferencePricing pricing,
    IOptions<GatewayOptions> options,
    ILogger<OpenAiCompletionHandler> logger)
{
    private static readonly byte[] Done = "[DONE]"u8.ToArray();

    private TimeSpan HttpRequestTimeout => options.Value.HttpRequestTimeout;

    private string ReferenceApi => pricing.DefaultApi;

    private ILogger Logger => logger;

    public Task HandleChatAsync(HttpContext context) =>
        HandleAsync(context, OpenAiJsonContext.Api.ChatCompletionRequest, OpenAiRequestMapper.ToServingRequest,
            static (created, prepared) => new ChatCompletionFormatter(ChatCompletionFormatter.IdPrefix + NewId(), created, prepared.Target.Id, prepared.Request.Call.Logprobs));

    public Task HandleCompletionAsync(HttpContext context) =>
        HandleAsync(context, OpenAiJsonContext.Api.CompletionRequest, OpenAiRequestMapper.ToServingRequest,
            static (created, prepared) => new TextCompletionFormatter(TextCompletionFormatter.IdPrefix + NewId(), created, prepared.Target.Id, prepared.Request.Call.Logprobs));

    private async Task HandleAsync<TBody>(
        HttpContext context,
        JsonTypeInfo<TBody> bodyType,
        Func<TBody, ServingRequest> map,
        Func<long, PreparedRequest, ICompletionFormatter> createFormatter)
        where TBody : OpenAiGenerationRequest
    {
        var aborted = context.RequestAborted;
        TBody body;
        PreparedRequest prepared;
        try
        {
            body = await OpenAiRequestBody.ReadAsync(context.Request, bodyType, aborted);
            prepared = pipeline.Prepare(map(body));
        }
        catch (Exception e) when (OpenAiProblem.Of(e) is { } problem)
        {
            await problem.WriteAsync(context.Response);
            return;
        }
        catch (Exception) when (aborted.IsCancellationRequested)
        {
            return;
        }

        // Named by the id asked for: an adapter's answer says the adapter, though its base ran it.
        var formatter = createFormatter(DateTimeOffset.UtcNow.ToUnixTimeSeconds(), prepared);
        // The token ends the request wherever it is: a queue, a coalesced request, or the worker's generation.
        using var timedOut = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        timedOut.CancelAfter(HttpRequestTimeout);
        var run = new CompletionRun(this, context, formatter, timedOut);
        try
        {
            var chunks = TokenUsageFeature.CountedFor(context, pipeline.ServeAsync(prepared, timedOut.Token));
            if (body.Stream ?? false)
            {
                await run.StreamAsync(chunks, body.StreamOptions?.IncludeUsage == true);
            }
            else
            {
                await run.CompleteAsync(chunks);
            }
        }
        catch (Exception) when (aborted.IsCancellationRequested)
        {
            // The client went away: the generation is cancelled with it and nobody is left to answer.
            LogClientGone(logger, context.Request.Path);
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            await run.Problem(e).WriteAsync(context.Response);
        }
    }

    private static string NewId()
    {
        Span<byte> random = stackalloc byte[12];
        RandomNumberGenerator.Fill(random);
        return Convert.ToHexStringLower(random);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Client of {Path} disconnected; its generation was cancelled")]
    private static partial void LogClientGone(ILogger logger, PathString path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Serving {Path} failed unexpectedly")]
    private static partial void LogUnexpected(ILogger logger, PathString path, Exception exception);

    /// <summary>One request's output as it is produced: collected for a whole answer, or written as events.</summary>
    private sealed class CompletionRun(OpenAiCompletionHandler handler, HttpContext context, ICompletionFormatter formatter, CancellationTokenSource timedOut)
    {
        private FinishReason _finish;
        private Served? _served;

        public Usage? Usage { get; private set; }

        private HttpResponse Response => context.Response;

        private CancellationToken Aborted => context.RequestAborted;

        /// <summary>The whole answer in one body; a failure before it is the caller's to write as a status.</summary>
        public async Task CompleteAsync(IAsyncEnumerable<GenerateChunk> chunks)
        {
            var text = new StringBuilder();
            List<TokenLogprob>? logprobs = null;
            var toolCalls = new ToolCallPieces();
            await foreach (var chunk in chunks)
            {
                Add(chunk);
                text.Append(chunk.Text);
                toolCalls.Add(chunk.ToolCalls);
                if (chunk.Logprobs.Count > 0)
                {
                    (logprobs ??= []).AddRange(chunk.Logprobs);
                }
            }

            Response.StatusCode = StatusCodes.Status200OK;
            Response.ContentType = "application/json";
            await Response.Body.WriteAsync(formatter.Complete(text.ToString(), OpenAiFinishReason.From(_finish), OpenAiUsage.From(Usage), Cost(),
                logprobs, OpenAiCascade.From(_served), toolCalls.Calls), Aborted);
        }

        /// <summary>
        /// The answer as server-sent events, written by the framework's formatter. The stream starts with the first
        /// chunk, so anything refused before it gets a real HTTP status; a failure after it ends the stream with an
        /// error event.
        /// </summary>
        public async Task StreamAsync(IAsyncEnumerable<GenerateChunk> chunks, bool includeUsage)
        {
            await using var pending = chunks.GetAsyncEnumerator(timedOut.Token);
            var more = await pending.MoveNextAsync();
            Response.StatusCode = StatusCodes.Status200OK;
            Response.ContentType = "text/event-stream; charset=utf-8";
            Response.Headers.CacheControl = "no-cache";
            // Proxies that buffer responses (nginx) would hold the tokens back.
            Response.Headers["X-Accel-Buffering"] = "no";
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            await SseFormatter.WriteAsync(Events(pending, more, includeUsage), Response.Body,
                static (item, output) => output.Write(item.Data), Aborted);
        }

        private async IAsyncEnumerable<SseItem<byte[]>> Events(IAsyncEnumerator<GenerateChunk> pending, bool more, bool includeUsage,
            [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            if (formatter.Opening() is { } opening)
            {
                yield return new SseItem<byte[]>(opening);
            }

            while (more)
            {
                var chunk = pending.Current;
                Add(chunk);
                // The last chunk may bring only logprobs: those of tokens whose text went out before a stop string cut.
                if (chunk.Text.Length > 0 || chunk.Logprobs.Count > 0)
                {
                    yield return new SseItem<byte[]>(formatter.Piece(chunk.Text, chunk.Logprobs));
                }

                if (chunk.ToolCalls.Count > 0)
                {
                    yield return new SseItem<byte[]>(formatter.ToolCallPieces(chunk.ToolCalls));
                }

                Exception? failure = null;
                try
                {
                    more = await pending.MoveNextAsync();
                }
                catch (Exception e) when (!Aborted.IsCancellationRequested)
                {
                    failure = e;
                }

                if (failure is not null)
                {
                    var problem = JsonSerializer.SerializeToUtf8Bytes(Problem(failure).Body, OpenAiJsonContext.Api.OpenAiErrorResponse);
                    yield return new SseItem<byte[]>(problem, "error");
                    yield break;
                }
            }

            var cost = Cost();
            var cascade = OpenAiCascade.From(_served);
            yield return new SseItem<byte[]>(formatter.Finish(OpenAiFinishReason.From(_finish), cost, cascade));
            if (includeUsage)
            {
                yield return new SseItem<byte[]>(formatter.Usage(OpenAiUsage.From(Usage), cost, cascade));
            }

            yield return new SseItem<byte[]>(Done);
        }

        /// <summary>What the caller is told of a failure: its status and OpenAI error, the gateway's HTTP timeout named as such.</summary>
        public OpenAiProblem Problem(Exception e)
        {
            if (timedOut.IsCancellationRequested && e is OperationCanceledException or RpcException)
            {
                return OpenAiProblem.From(new RpcException(new Status(StatusCode.DeadlineExceeded,
                    $"The request ran longer than this gateway allows HTTP requests ({handler.HttpRequestTimeout.TotalSeconds:0.###} s, Gateway:HttpRequestTimeout).")));
            }

            if (e is RpcException rpc)
            {
                return OpenAiProblem.From(rpc);
            }

            LogUnexpected(handler.Logger, context.Request.Path, e);
            return new OpenAiProblem(StatusCodes.Status500InternalServerError,
                new OpenAiError { Message = "The gateway failed while serving this request; it has been logged.", Type = "server_error" });
        }

        private void Add(GenerateChunk chunk)
        {
            if (chunk.Usage is not null)
            {
                Usage = chunk.Usage;
                _finish = chunk.FinishReason;
                _served = chunk.Served;
            }
        }

        private OpenAiCost? Cost() => OpenAiCost.From(_served, handler.ReferenceApi);
    }
}

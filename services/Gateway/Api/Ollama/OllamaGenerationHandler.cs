using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Grpc.Core;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Api.OpenAi;
using SlmCluster.Gateway.Configuration;
using SlmCluster.Gateway.Security;
using SlmCluster.Gateway.Serving;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>
/// <c>POST /api/generate</c> and <c>POST /api/chat</c>: read and map the body into the serving pipeline's request,
/// serve it, and write its chunks as Ollama does: NDJSON lines by default, one object for <c>stream: false</c>.
/// </summary>
public sealed partial class OllamaGenerationHandler(
    ServingPipeline pipeline,
    ModelCatalog catalog,
    IOptions<GatewayOptions> options,
    ILogger<OllamaGenerationHandler> logger)
{
    private const string NdjsonContentType = "application/x-ndjson";
    private const string JsonContentType = "application/json; charset=utf-8";

    public Task HandleGenerateAsync(HttpContext context) =>
        HandleAsync(context, OllamaJsonContext.Api.OllamaGenerateRequest, OllamaRequestMapper.ToServingRequest, chat: false);

    public Task HandleChatAsync(HttpContext context) =>
        HandleAsync(context, OllamaJsonContext.Api.OllamaChatRequest, OllamaRequestMapper.ToServingRequest, chat: true);

    private async Task HandleAsync<TBody>(HttpContext context, JsonTypeInfo<TBody> bodyType, Func<TBody, OllamaMappedRequest> map, bool chat)
        where TBody : OllamaGenerationRequest
    {
        var started = Stopwatch.GetTimestamp();
        var aborted = context.RequestAborted;
        OllamaMappedRequest mapped;
        PreparedRequest? prepared = null;
        try
        {
            mapped = map(await OpenAiRequestBody.ReadAsync(context.Request, bodyType, aborted));
            if (mapped.Request is { } request)
            {
                prepared = pipeline.Prepare(request);
                RefuseSmallerContext(mapped.NumCtx, prepared.Target);
            }
            else
            {
                RefuseSmallerContext(mapped.NumCtx, catalog.Resolve(mapped.ModelId));
            }
        }
        catch (Exception e) when (OllamaProblem.Of(e) is { } problem)
        {
            await problem.WriteAsync(context.Response);
            return;
        }
        catch (Exception) when (aborted.IsCancellationRequested)
        {
            return;
        }

        var writer = new OllamaChunkWriter(mapped.Name, chat);
        if (prepared is null)
        {
            context.Response.ContentType = mapped.Stream ? NdjsonContentType : JsonContentType;
            writer.Loaded(context.Response.BodyWriter);
            await context.Response.BodyWriter.FlushAsync(aborted);
            return;
        }

        // The token ends the request wherever it is: a queue, a coalesced request, or the worker's generation.
        using var timedOut = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        timedOut.CancelAfter(options.Value.HttpRequestTimeout);
        try
        {
            var chunks = TokenUsageFeature.CountedFor(context, pipeline.ServeAsync(prepared, timedOut.Token));
            if (mapped.Stream)
            {
                await StreamAsync(context, writer, chunks, started, timedOut);
            }
            else
            {
                await CompleteAsync(context, writer, chunks, started, timedOut.Token);
            }
        }
        catch (Exception) when (aborted.IsCancellationRequested)
        {
            // The client went away: the generation is cancelled with it and nobody is left to answer.
            LogClientGone(logger, context.Request.Path);
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            await Problem(context, e, timedOut).WriteAsync(context.Response);
        }
    }

    /// <summary>
    /// A smaller context than the model's would cut prompts Ollama would cut: the model keeps the context its worker
    /// serves, so that is refused. A larger one changes nothing that fits, and a prompt that does not is refused anyway.
    /// </summary>
    private void RefuseSmallerContext(int? numCtx, ServingTarget target)
    {
        if (numCtx is not { } asked)
        {
            return;
        }

        var served = target.Model?.ContextLength ?? catalog.List().FirstOrDefault(m => m.Id == target.Id)?.ContextLength ?? 0;
        if (served > asked)
        {
            throw new InvalidOllamaRequestException(
                $"options.num_ctx is {asked}, smaller than the {served} tokens '{target.Id}' is served with here; the context is set where the model is declared. Send num_ctx {served} or more, or leave it out.");
        }
    }

    /// <summary>The whole answer in one object; a failure before it is the caller's to write as a status.</summary>
    private static async Task CompleteAsync(HttpContext context, OllamaChunkWriter writer, IAsyncEnumerable<GenerateChunk> chunks, long started,
        CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        var toolCalls = new OllamaToolCalls();
        var calls = new List<ToolCall>();
        GenerateChunk? closing = null;
        await foreach (var chunk in chunks.WithCancellation(cancellationToken))
        {
            text.Append(chunk.Text);
            calls.AddRange(toolCalls.Add(chunk));
            if (chunk.Usage is not null)
            {
                closing = chunk;
            }
        }

        calls.AddRange(toolCalls.Rest());
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = JsonContentType;
        writer.Final(response.BodyWriter, text.ToString(), Stats(closing, started), calls);
        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    /// <summary>
    /// The answer as NDJSON, a line per piece, flushed as it comes. The response starts with the first chunk, so
    /// anything refused before it gets a real HTTP status; a failure after it ends the stream with an error line.
    /// </summary>
    private async Task StreamAsync(HttpContext context, OllamaChunkWriter writer, IAsyncEnumerable<GenerateChunk> chunks, long started,
        CancellationTokenSource timedOut)
    {
        var aborted = context.RequestAborted;
        await using var pending = chunks.GetAsyncEnumerator(timedOut.Token);
        var more = await pending.MoveNextAsync();
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = NdjsonContentType;
        response.Headers.CacheControl = "no-cache";
        // Proxies that buffer responses (nginx) would hold the tokens back.
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var output = response.BodyWriter;
        var toolCalls = new OllamaToolCalls();
        while (more)
        {
            var chunk = pending.Current;
            var calls = toolCalls.Add(chunk);
            if (chunk.Usage is not null)
            {
                // As Ollama streams them: the calls in a line of their own, then the closing line.
                if (calls.Concat(toolCalls.Rest()).ToList() is { Count: > 0 } last)
                {
                    writer.Calls(output, last);
                }

                writer.Final(output, chunk.Text, Stats(chunk, started));
                await output.FlushAsync(aborted);
                return;
            }

            if (chunk.Text.Length > 0)
            {
                writer.Piece(output, chunk.Text);
                await output.FlushAsync(aborted);
            }

            if (calls.Count > 0)
            {
                writer.Calls(output, calls);
                await output.FlushAsync(aborted);
            }

            try
            {
                more = await pending.MoveNextAsync();
            }
            catch (Exception e) when (!aborted.IsCancellationRequested)
            {
                output.Write(JsonSerializer.SerializeToUtf8Bytes(Problem(context, e, timedOut).Body, OllamaJsonContext.Api.OllamaErrorResponse));
                output.Write("\n"u8);
                await output.FlushAsync(aborted);
                return;
            }
        }
    }

    private static OllamaStats Stats(GenerateChunk? closing, long started) =>
        OllamaStats.From(closing?.FinishReason ?? FinishReason.Stop, closing?.Usage, closing?.Served, Stopwatch.GetElapsedTime(started));

    /// <summary>What the caller is told of a failure: its status and error, the gateway's HTTP timeout named as such.</summary>
    private OllamaProblem Problem(HttpContext context, Exception e, CancellationTokenSource timedOut)
    {
        if (timedOut.IsCancellationRequested && e is OperationCanceledException or RpcException)
        {
            return OllamaProblem.From(new RpcException(new Status(StatusCode.DeadlineExceeded,
                $"The request ran longer than this gateway allows HTTP requests ({options.Value.HttpRequestTimeout.TotalSeconds:0.###} s, Gateway:HttpRequestTimeout).")));
        }

        if (e is RpcException rpc)
        {
            return OllamaProblem.From(rpc);
        }

        LogUnexpected(logger, context.Request.Path, e);
        return new OllamaProblem(StatusCodes.Status500InternalServerError, "The gateway failed while serving this request; it has been logged.");
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Client of {Path} disconnected; its generation was cancelled")]
    private static partial void LogClientGone(ILogger logger, PathString path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Serving {Path} failed unexpectedly")]
    private static partial void LogUnexpected(ILogger logger, PathString path, Exception exception);
}

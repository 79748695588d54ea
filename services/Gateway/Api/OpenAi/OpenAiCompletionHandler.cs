using Grpc.Core;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Costs;
using SlmCluster.Gateway.Hosting;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>
/// <c>POST /v1/chat/completions</c> and <c>POST /v1/completions</c>: read and map the body, then take
/// the same path as gRPC (<see cref="GatewayInferenceService.StreamAsync"/>) and shape its chunks as OpenAI does,
/// whole or as server-sent events.
/// </summary>
public sealed partial class OpenAiCompletionHandler(
    GatewayInferenceService inference,
    ReferencePricing pricing,
    IOptions<GatewayOptions> options,
    ILogger<OpenAiCompletionHandler> logger)
{
    public Task HandleChatAsync(HttpContext context) =>
        HandleAsync(context, OpenAiJsonContext.Api.ChatCompletionRequest, OpenAiRequestMapper.ToGenerateRequest,
            static (created, request) => new ChatCompletionFormatter(ChatCompletionFormatter.IdPrefix + NewId(), created, request.Model, request.Logprobs));

    public Task HandleCompletionAsync(HttpContext context) =>
        HandleAsync(context, OpenAiJsonContext.Api.CompletionRequest, OpenAiRequestMapper.ToGenerateRequest,
            static (created, request) => new TextCompletionFormatter(TextCompletionFormatter.IdPrefix + NewId(), created, request.Model, request.Logprobs));

    private async Task HandleAsync<TBody>(
        HttpContext context,
        JsonTypeInfo<TBody> bodyType,
        Func<TBody, GenerateRequest> map,
        Func<long, GenerateRequest, ICompletionFormatter> createFormatter)
        where TBody : OpenAiGenerationRequest
    {
        var aborted = context.RequestAborted;
        TBody body;
        GenerateRequest request;
        try
        {
            body = await OpenAiRequestBody.ReadAsync(context.Request, bodyType, aborted);
            request = map(body);
            request.Model = inference.ResolveModel(request.Model);
        }
        catch (InvalidOpenAiRequestException e)
        {
            await OpenAiProblem.From(e).WriteAsync(context.Response);
            return;
        }
        catch (RpcException e)
        {
            await OpenAiProblem.From(e).WriteAsync(context.Response);
            return;
        }
        catch (Exception) when (aborted.IsCancellationRequested)
        {
            return;
        }

        var stream = body.Stream ?? false;
        var includeUsage = stream && body.StreamOptions?.IncludeUsage == true;
        var formatter = createFormatter(DateTimeOffset.UtcNow.ToUnixTimeSeconds(), request);
        // The token ends the request wherever it is: a queue, a coalesced request, or the worker's generation.
        var timeout = options.Value.HttpRequestTimeout;
        using var timedOut = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        timedOut.CancelAfter(timeout);
        var run = new CompletionRun(context.Response, formatter, stream, pricing.DefaultApi, aborted);
        try
        {
            await foreach (var chunk in inference.StreamAsync(request, timedOut.Token))
            {
                await run.AddAsync(chunk);
            }

            await run.CompleteAsync(includeUsage);
        }
        catch (Exception) when (aborted.IsCancellationRequested)
        {
            // The client went away: the generation is cancelled with it and nobody is left to answer.
            LogClientGone(logger, context.Request.Path);
        }
        catch (Exception e) when (timedOut.IsCancellationRequested && e is OperationCanceledException or RpcException)
        {
            await run.FailAsync(OpenAiProblem.From(new RpcException(new Status(StatusCode.DeadlineExceeded,
                $"The request ran longer than this gateway allows HTTP requests ({timeout.TotalSeconds:0.###} s, Gateway:HttpRequestTimeout)."))));
        }
        catch (RpcException e)
        {
            await run.FailAsync(OpenAiProblem.From(e));
        }
        catch (Exception e)
        {
            LogUnexpected(logger, context.Request.Path, e);
            await run.FailAsync(new OpenAiProblem(StatusCodes.Status500InternalServerError,
                new OpenAiError { Message = "The gateway failed while serving this request; it has been logged.", Type = "server_error" }));
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
    private sealed class CompletionRun(HttpResponse response, ICompletionFormatter formatter, bool stream, string referenceApi, CancellationToken cancellationToken)
    {
        private readonly StringBuilder _text = new();
        private List<TokenLogprob>? _logprobs;
        private ServerSentEventWriter? _events;
        private FinishReason _finish;
        private Served? _served;

        public Usage? Usage { get; private set; }

        public int Chunks { get; private set; }

        public async ValueTask AddAsync(GenerateChunk chunk)
        {
            Chunks++;
            if (chunk.Usage is not null)
            {
                Usage = chunk.Usage;
                _finish = chunk.FinishReason;
                _served = chunk.Served;
            }

            if (!stream)
            {
                _text.Append(chunk.Text);
                if (chunk.Logprobs.Count > 0)
                {
                    (_logprobs ??= []).AddRange(chunk.Logprobs);
                }

                return;
            }

            var events = await StartEventsAsync();
            // The last chunk may bring only logprobs: those of tokens whose text went out before a stop string cut.
            if (chunk.Text.Length > 0 || chunk.Logprobs.Count > 0)
            {
                await events.WriteAsync(formatter.Piece(chunk.Text, chunk.Logprobs), cancellationToken);
            }
        }

        public async ValueTask CompleteAsync(bool includeUsage)
        {
            var finishReason = OpenAiFinishReason.From(_finish);
            var usage = OpenAiUsage.From(Usage);
            var cost = OpenAiCost.From(_served, referenceApi);
            var cascade = OpenAiCascade.From(_served);
            if (!stream)
            {
                response.StatusCode = StatusCodes.Status200OK;
                response.ContentType = "application/json";
                await response.Body.WriteAsync(formatter.Complete(_text.ToString(), finishReason, usage, cost, _logprobs, cascade), cancellationToken);
                return;
            }

            var events = await StartEventsAsync();
            await events.WriteAsync(formatter.Finish(finishReason, cost, cascade), cancellationToken);
            if (includeUsage)
            {
                await events.WriteAsync(formatter.Usage(usage, cost, cascade), cancellationToken);
            }

            await events.WriteDoneAsync(cancellationToken);
        }

        /// <summary>An error status while nothing was sent; once the stream started, an error event that ends it.</summary>
        public async ValueTask FailAsync(OpenAiProblem problem)
        {
            if (_events is null && !response.HasStarted)
            {
                await problem.WriteAsync(response);
                return;
            }

            if (_events is not null)
            {
                var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(problem.Body, OpenAiJsonContext.Api.OpenAiErrorResponse);
                await _events.WriteErrorAsync(json, cancellationToken);
            }
        }

        // The stream starts with the first chunk, so anything refused before it gets a real HTTP status.
        private async ValueTask<ServerSentEventWriter> StartEventsAsync()
        {
            if (_events is null)
            {
                ServerSentEventWriter.Start(response);
                _events = new ServerSentEventWriter(response.BodyWriter);
                if (formatter.Opening() is { } opening)
                {
                    await _events.WriteAsync(opening, cancellationToken);
                }
            }

            return _events;
        }
    }
}

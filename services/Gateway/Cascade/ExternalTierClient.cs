using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Polly.CircuitBreaker;
using Polly.Timeout;
using SlmCluster.Contracts;
using SlmCluster.Gateway.Cascade.ExternalApi;
using SlmCluster.Gateway.Serving;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Cascade;

/// <summary>
/// Asks a route's external tier, an OpenAI-compatible endpoint: <c>POST {BaseUrl}/chat/completions</c> with the
/// request's messages (a raw prompt is sent as one user message), streamed (<c>"stream": true</c> with
/// <c>stream_options.include_usage</c>), and relays its text as chunks as it comes; the closing chunk carries the
/// endpoint's <c>usage</c> and its price for those tokens. An endpoint that answers with one JSON body instead of
/// events is read whole. Bodies and events are typed (<see cref="ExternalChatRequest"/>,
/// <see cref="ExternalChatCompletion"/>, source-generated JSON); events come through the framework's SSE parser. Each
/// tier has its own named HttpClient (IHttpClientFactory, standard resilience handler, total timeout = the tier's
/// Timeout, no retry of the POST). The whole exchange, headers to last byte, is bounded by the tier's Timeout. Every
/// failure is an <see cref="RpcException"/> that names the route, the tier and the cause: <c>DEADLINE_EXCEEDED</c>
/// for the timeout, <c>UNAVAILABLE</c> otherwise; the API key is never part of it.
/// </summary>
public sealed class ExternalTierClient(IHttpClientFactory httpClients)
{
    /// <summary>How much of an error body is read to find its message.</summary>
    private const int MaxErrorBodyBytes = 8 * 1024;

    public async IAsyncEnumerable<GenerateChunk> StreamAsync(CascadeRoute route, CascadeTier tier, ServingRequest request,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var external = tier.External ?? throw new InvalidOperationException($"{tier} of route '{route.Name}' is not external.");
        var started = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(external.Timeout);
        var call = new Call(route, tier, external, cancellationToken, deadline.Token);

        using var response = await call.Guard(call.SendAsync(httpClients.CreateClient(tier.HttpClientName!), request));
        double? firstText = null;
        string? finish = null;
        int promptTokens = 0, completionTokens = 0;
        var sent = 0;
        if (response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            // Not streamed after all: one body with the whole answer.
            await using var stream = await call.Guard(response.Content.ReadAsStreamAsync(deadline.Token));
            var (text, reason, usage) = call.ReadWhole(await call.Guard(call.ParseAsync(stream)));
            finish = reason;
            (promptTokens, completionTokens) = usage ?? (0, 0);
            if (text.Length > 0)
            {
                firstText = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                yield return new GenerateChunk { Text = text };
            }
        }
        else
        {
            await using var stream = await call.Guard(response.Content.ReadAsStreamAsync(deadline.Token));
            // The framework's server-sent-events parser: fields, multi-line data and event types as the format defines them.
            await using var events = SseParser.Create(stream).EnumerateAsync(deadline.Token).GetAsyncEnumerator(deadline.Token);
            var done = false;
            while (!done && await call.Guard(events.MoveNextAsync()))
            {
                var (eventName, data) = (events.Current.EventType, events.Current.Data.Trim());
                if (data == "[DONE]")
                {
                    done = true;
                    continue;
                }

                var piece = call.ReadEvent(data, eventName, sent);
                finish = piece.FinishReason ?? finish;
                if (piece.Usage is { } usage)
                {
                    (promptTokens, completionTokens) = usage;
                }

                if (piece.Text.Length > 0)
                {
                    firstText ??= Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    sent++;
                    yield return new GenerateChunk { Text = piece.Text };
                }
            }

            if (!done && finish is null)
            {
                throw call.Failure(StatusCode.Unavailable, sent > 0
                    ? $"ended its stream after {sent} chunks without finishing; the answer is incomplete"
                    : "ended its stream without an answer");
            }
        }

        var total = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        yield return new GenerateChunk
        {
            FinishReason = finish == "length" ? FinishReason.Length : FinishReason.Stop,
            Usage = new Usage { PromptTokens = promptTokens, CompletionTokens = completionTokens },
            Served = new Served
            {
                WorkerId = "external:" + new Uri(external.BaseUrl).Authority,
                Model = external.Model,
                TimeToFirstTokenMs = firstText ?? total,
                TotalMs = total,
                CostUsd = external.CostOf(promptTokens, completionTokens),
            },
        };
    }

    /// <summary>The request body: the OpenAI chat completions shape, with what the endpoint can honour of the request.</summary>
    internal static byte[] Body(string model, GenerationCall call)
    {
        var body = new ExternalChatRequest(
            model,
            call.Messages is { Count: > 0 } messages
                ? [.. messages.Select(m => new ExternalChatMessage(m.Role, m.Content))]
                : [new ExternalChatMessage("user", call.Prompt ?? "")],
            MaxTokens: call.MaxTokens > 0 ? call.MaxTokens : null,
            Temperature: call.Temperature,
            TopP: call.TopP is > 0 and < 1 ? call.TopP : null,
            Seed: call.Seed,
            Stop: call.Stop.Count > 0 ? [.. call.Stop] : null);
        return JsonSerializer.SerializeToUtf8Bytes(body, ExternalTierJsonContext.Default.ExternalChatRequest);
    }

    /// <summary>The message of an OpenAI error body (<c>{"error":{"message":...}}</c>), else the start of the body as text.</summary>
    private static async Task<string> ErrorMessageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[MaxErrorBodyBytes];
            var length = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);

            try
            {
                if (JsonSerializer.Deserialize(buffer.AsSpan(0, length), ExternalTierJsonContext.Default.ExternalChatCompletion)?.ErrorMessage is { } message)
                {
                    return message;
                }
            }
            catch (JsonException)
            {
                // Not JSON: the text itself says what went wrong.
            }

            var text = Encoding.UTF8.GetString(buffer, 0, length).Trim();
            return text.Length > 200 ? text[..200] + "..." : text;
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return "";
        }
    }

    /// <summary>One exchange with the endpoint: who it is for the messages, and its two ways to be cancelled.</summary>
    private sealed class Call(CascadeRoute route, CascadeTier tier, ExternalTierOptions external, CancellationToken caller, CancellationToken deadline)
    {
        public async Task<HttpResponseMessage> SendAsync(HttpClient http, ServingRequest request)
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, external.BaseUrl.TrimEnd('/') + "/chat/completions")
            {
                Content = new ByteArrayContent(Body(external.Model, request.Call)) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
            };
            message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            if (external.ApiKey.Length > 0)
            {
                message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", external.ApiKey);
            }

            var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, deadline);
            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            using (response)
            {
                var detail = await ErrorMessageAsync(response, deadline);
                throw Failure(StatusCode.Unavailable, $"answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}{(detail.Length > 0 ? ": " + detail : "")}");
            }
        }

        /// <summary>Runs a step of the exchange, turning its failure into the caller's status (the caller's own cancellation passes as it is).</summary>
        public async Task<T> Guard<T>(Task<T> step)
        {
            try
            {
                return await step;
            }
            catch (RpcException)
            {
                throw;
            }
            catch (Exception e) when (!caller.IsCancellationRequested)
            {
                throw Translate(e);
            }
        }

        public async Task<T> Guard<T>(ValueTask<T> step) => await Guard(step.AsTask());

        public RpcException Failure(StatusCode code, string cause) =>
            new(new Status(code, Redact($"Cascade route '{route.Name}', {tier} (external model '{external.Model}' at {external.BaseUrl}) {cause.TrimEnd('.')}.")));

        /// <summary>A whole body, read as the answer it should be; one that is not an answer at all fails as such.</summary>
        public async Task<ExternalChatCompletion?> ParseAsync(Stream body)
        {
            try
            {
                return await JsonSerializer.DeserializeAsync(body, ExternalTierJsonContext.Default.ExternalChatCompletion, deadline);
            }
            catch (JsonException e)
            {
                throw Failure(StatusCode.Unavailable, $"answered with a body that is not a chat completion ({e.Message})");
            }
        }

        public (string Text, string? FinishReason, (int, int)? Usage) ReadWhole(ExternalChatCompletion? body)
        {
            ThrowIfError(body, 0);
            if (body?.Choices is not [{ Message: { } message } choice, ..])
            {
                throw Failure(StatusCode.Unavailable, "answered with a body that is not a chat completion");
            }

            return (message.Content ?? "", choice.FinishReason, Usage(body));
        }

        /// <summary>One <c>data:</c> event of the stream: its text, finish reason and usage.</summary>
        public (string Text, string? FinishReason, (int, int)? Usage) ReadEvent(string data, string? eventName, int sent)
        {
            ExternalChatCompletion? piece;
            try
            {
                piece = JsonSerializer.Deserialize(data, ExternalTierJsonContext.Default.ExternalChatCompletion);
            }
            catch (JsonException e)
            {
                throw Failure(StatusCode.Unavailable, $"sent an event that is not a chat completion chunk after {sent} chunks ({e.Message})");
            }

            ThrowIfError(piece, sent);
            if (eventName == "error" || piece is null)
            {
                throw Failure(StatusCode.Unavailable, $"sent an error event after {sent} chunks");
            }

            var choice = piece.Choices is [var first, ..] ? first : null;
            return (choice?.Delta?.Content ?? "", choice?.FinishReason, Usage(piece));
        }

        /// <summary>The <c>usage</c> of a body or event (prompt and completion tokens), when it has one.</summary>
        private static (int, int)? Usage(ExternalChatCompletion? answer) =>
            answer?.Usage is { } usage ? (Math.Max(0, usage.PromptTokens), Math.Max(0, usage.CompletionTokens)) : null;

        private void ThrowIfError(ExternalChatCompletion? answer, int sent)
        {
            if (answer?.ErrorMessage is { } message)
            {
                throw Failure(StatusCode.Unavailable, sent > 0 ? $"reported an error after {sent} chunks: {message}" : $"reported an error: {message}");
            }
        }

        private RpcException Translate(Exception e) => e switch
        {
            TimeoutRejectedException or OperationCanceledException =>
                Failure(StatusCode.DeadlineExceeded,
                    $"did not answer within its timeout of {external.Timeout.TotalSeconds:0.###} s ({CascadeOptions.SectionName}:Routes:{route.Name}:Tiers:{tier.Number - 1}:External:Timeout)"),
            BrokenCircuitException => Failure(StatusCode.Unavailable, "is failing: its circuit breaker is open after repeated failures; retry shortly"),
            HttpRequestException http => Failure(StatusCode.Unavailable, $"could not be reached: {http.Message}"),
            _ => Failure(StatusCode.Unavailable, $"failed: {e.Message}"),
        };

        /// <summary>The message with the API key, should an endpoint have echoed it, blanked out.</summary>
        private string Redact(string message) =>
            external.ApiKey.Length >= 4 ? message.Replace(external.ApiKey, "***", StringComparison.Ordinal) : message;
    }
}

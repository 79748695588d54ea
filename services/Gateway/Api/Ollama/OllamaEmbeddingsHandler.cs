using System.Diagnostics;
using System.Text.Json;
using Grpc.Core;
using SlmCluster.Contracts;
using SlmCluster.Gateway.Api.OpenAi;
using SlmCluster.Gateway.Security;
using SlmCluster.Gateway.Serving.Embeddings;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>
/// <c>POST /api/embed</c> and the older <c>POST /api/embeddings</c>: the body mapped into the embedding pipeline's
/// request (the same rules, cache, metrics and costs as <c>/v1/embeddings</c>), the vectors written as Ollama does.
/// </summary>
public sealed class OllamaEmbeddingsHandler(EmbeddingPipeline pipeline)
{
    public Task HandleEmbedAsync(HttpContext context) => HandleAsync(context, legacy: false);

    public Task HandleEmbeddingsAsync(HttpContext context) => HandleAsync(context, legacy: true);

    private async Task HandleAsync(HttpContext context, bool legacy)
    {
        var started = Stopwatch.GetTimestamp();
        var aborted = context.RequestAborted;
        string name;
        EmbedResponse response;
        try
        {
            var body = await OpenAiRequestBody.ReadAsync(context.Request, OllamaJsonContext.Api.OllamaEmbedRequest, aborted);
            name = body.Model is { Length: > 0 } model ? model : throw new InvalidOllamaRequestException("'model' is required.");
            var prepared = pipeline.Prepare(ToServingRequest(body, name, legacy));
            response = await pipeline.EmbedAsync(prepared, aborted);
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

        // A tenant's token budget is charged with the embedded tokens, as on /v1/embeddings.
        context.Features.Get<TokenUsageFeature>()?.Count(new GenerateChunk { Usage = response.Usage });
        var vectors = response.Embeddings.Select(e => e.Values.ToArray()).ToArray();
        if (legacy)
        {
            await context.Response.WriteAsJsonAsync(new OllamaEmbeddingResponse { Embedding = vectors[0] }, OllamaJsonContext.Api.OllamaEmbeddingResponse, cancellationToken: aborted);
            return;
        }

        var elapsedNs = (long)(Stopwatch.GetElapsedTime(started).TotalMilliseconds * 1_000_000);
        await context.Response.WriteAsJsonAsync(new OllamaEmbedResponse
        {
            Model = name,
            Embeddings = vectors,
            TotalDuration = elapsedNs,
            PromptEvalCount = response.Usage?.PromptTokens ?? 0,
        }, OllamaJsonContext.Api.OllamaEmbedResponse, cancellationToken: aborted);
    }

    /// <exception cref="InvalidOllamaRequestException">The input's shape, or an option that would change the vectors.</exception>
    private static EmbeddingServingRequest ToServingRequest(OllamaEmbedRequest body, string name, bool legacy)
    {
        // Sampling options change no vector; num_ctx would cut inputs where Ollama runs the model, which a worker's
        // embedding context does not do, so it is refused rather than ignored.
        if (OllamaOptions.Read(body.Options).NumCtx is { } numCtx)
        {
            throw new InvalidOllamaRequestException(
                $"options.num_ctx ({numCtx}) is not served on embeddings: the model's workers set the longest input; leave it out.");
        }

        if (body.Dimensions is < 1)
        {
            throw new InvalidOllamaRequestException($"dimensions is {body.Dimensions}; it must be 1 or more (leave it out for the model's full width).");
        }

        return new EmbeddingServingRequest
        {
            Call = new EmbeddingCall
            {
                Model = OllamaModelNames.ToModelId(name),
                Inputs = legacy ? LegacyInput(body) : Inputs(body.Input),
                Dimensions = body.Dimensions ?? 0,
                Truncate = body.Truncate ?? true,
            },
        };
    }

    private static EmbeddingCallInput[] LegacyInput(OllamaEmbedRequest body) => body.Prompt is { } prompt
        ? [new EmbeddingCallInput { Text = prompt }]
        : throw new InvalidOllamaRequestException("'prompt' is required: the text to embed (or use /api/embed with 'input').");

    private static EmbeddingCallInput[] Inputs(JsonElement? input)
    {
        switch (input)
        {
            case { ValueKind: JsonValueKind.String } text:
                return [new EmbeddingCallInput { Text = text.GetString()! }];
            case { ValueKind: JsonValueKind.Array } list:
                var inputs = new EmbeddingCallInput[list.GetArrayLength()];
                var i = 0;
                foreach (var item in list.EnumerateArray())
                {
                    inputs[i] = item.ValueKind == JsonValueKind.String
                        ? new EmbeddingCallInput { Text = item.GetString()! }
                        : throw new InvalidOllamaRequestException($"input[{i}] is not a string; 'input' is a string or an array of strings.");
                    i++;
                }

                return inputs;
            default:
                throw new InvalidOllamaRequestException("'input' is required: a string or an array of strings.");
        }
    }
}

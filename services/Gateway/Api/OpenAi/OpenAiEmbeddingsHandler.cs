using System.Runtime.InteropServices;
using System.Text.Json;
using Grpc.Core;
using SlmCluster.Gateway.Security;
using SlmCluster.Gateway.Serving.Embeddings;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>
/// <c>POST /v1/embeddings</c>: read and map the body into the embedding pipeline's request, embed it, and write the
/// vectors as OpenAI does (<c>float</c> arrays or <c>base64</c> float32s), with <c>usage</c>, and the cluster's
/// <c>served</c> beside them.
/// </summary>
public sealed class OpenAiEmbeddingsHandler(EmbeddingPipeline pipeline)
{
    public async Task HandleAsync(HttpContext context)
    {
        var aborted = context.RequestAborted;
        EmbeddingsRequest body;
        PreparedEmbedding prepared;
        EmbedResponse response;
        try
        {
            body = await OpenAiRequestBody.ReadAsync(context.Request, OpenAiJsonContext.Api.EmbeddingsRequest, aborted);
            prepared = pipeline.Prepare(OpenAiEmbeddingsMapper.ToServingRequest(body));
            response = await pipeline.EmbedAsync(prepared, aborted);
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

        // A tenant's token budget is charged with the embedded tokens, as with a generation's.
        context.Features.Get<TokenUsageFeature>()?.Count(new GenerateChunk { Usage = response.Usage });
        context.Response.ContentType = "application/json";
        await WriteAsync(context.Response.BodyWriter.AsStream(), response, prepared.Request.Model, OpenAiEmbeddingsMapper.WantsBase64(body), aborted);
    }

    /// <summary>Written by hand: a vector is an array of numbers or a base64 string, and big bodies go out as they are made.</summary>
    private static async Task WriteAsync(Stream body, EmbedResponse response, string model, bool base64, CancellationToken cancellationToken)
    {
        await using var json = new Utf8JsonWriter(body);
        json.WriteStartObject();
        json.WriteString("object", "list");
        json.WriteStartArray("data");
        for (var i = 0; i < response.Embeddings.Count; i++)
        {
            json.WriteStartObject();
            json.WriteString("object", "embedding");
            json.WriteNumber("index", i);
            var values = response.Embeddings[i].Values;
            if (base64)
            {
                var floats = new float[values.Count];
                values.CopyTo(floats, 0);
                json.WriteBase64String("embedding", MemoryMarshal.AsBytes(floats.AsSpan()));
            }
            else
            {
                json.WriteStartArray("embedding");
                foreach (var value in values)
                {
                    json.WriteNumberValue(value);
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
            if (json.BytesPending > 64 * 1024)
            {
                await json.FlushAsync(cancellationToken);
            }
        }

        json.WriteEndArray();
        json.WriteString("model", model);
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", response.Usage?.PromptTokens ?? 0);
        json.WriteNumber("total_tokens", response.Usage?.PromptTokens ?? 0);
        json.WriteEndObject();
        if (response.Served is { } served)
        {
            json.WriteStartObject("served");
            json.WriteString("worker_id", served.WorkerId);
            json.WriteString("model", served.Model);
            json.WriteBoolean("cache_hit", served.CacheHit);
            json.WriteNumber("total_ms", served.TotalMs);
            json.WriteNumber("cost_usd", served.CostUsd);
            json.WriteNumber("reference_api_cost_usd", served.ReferenceApiCostUsd);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        await json.FlushAsync(cancellationToken);
    }
}

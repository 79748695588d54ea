using SlmCluster.Contracts;
using SlmCluster.Gateway.Serving;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Api.Grpc;

/// <summary>A <c>slm.v1</c> request as the serving pipeline takes it; the pipeline's rules judge what it says.</summary>
internal static class GrpcRequestMapper
{
    public static ServingRequest ToServingRequest(GenerateRequest request)
    {
        // A request without sampling parameters is greedy, as the contract says of temperature 0.
        var sampling = request.Sampling;
        return new ServingRequest
        {
            Call = ServingRequestRules.Normalize(new GenerationCall
            {
                Model = request.Model,
                // Both kept as sent: a request with both is the rules' to refuse.
                Prompt = request.Prompt.Length > 0 ? request.Prompt : null,
                Messages = request.Messages.Count == 0 ? null : request.Messages.Select(m => new ChatTurnMessage(m.Role, m.Content)).ToArray(),
                MaxTokens = request.MaxTokens,
                Stop = request.Stop.ToArray(),
                IgnoreEndOfSequence = request.IgnoreEos,
                Logprobs = request.Logprobs,
                TopLogprobs = request.TopLogprobs,
                Temperature = sampling?.Temperature ?? 0,
                TopP = sampling?.TopP ?? 0,
                TopK = sampling?.TopK ?? 0,
                Seed = sampling is { HasSeed: true } ? sampling.Seed : null,
                PresencePenalty = sampling is { HasPresencePenalty: true } ? sampling.PresencePenalty : null,
                FrequencyPenalty = sampling is { HasFrequencyPenalty: true } ? sampling.FrequencyPenalty : null,
                RepeatPenalty = sampling is { HasRepeatPenalty: true } ? sampling.RepeatPenalty : null,
                RepeatLastN = sampling is { HasRepeatLastN: true } ? sampling.RepeatLastN : null,
                LogitBias = sampling is { LogitBias.Count: > 0 } ? new Dictionary<int, float>(sampling.LogitBias) : null,
            }),
            SessionId = request.SessionId,
            BypassCache = request.Cache?.Bypass ?? false,
            CacheTtlSeconds = request.Cache?.TtlSeconds ?? 0,
            ResponseFormat = Format(request.ResponseFormat),
        };
    }

    private static Serving.ResponseFormat? Format(Protocol.V1.ResponseFormat? format) => format?.FormatCase switch
    {
        Protocol.V1.ResponseFormat.FormatOneofCase.JsonObject when format.JsonObject => Serving.ResponseFormat.JsonObject("response_format.json_object"),
        Protocol.V1.ResponseFormat.FormatOneofCase.JsonSchema => Serving.ResponseFormat.JsonSchema(format.JsonSchema, "response_format.json_schema"),
        Protocol.V1.ResponseFormat.FormatOneofCase.Gbnf when format.Gbnf.Length > 0 => Serving.ResponseFormat.Grammar(format.Gbnf, "response_format.gbnf"),
        _ => null,
    };
}

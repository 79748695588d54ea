using SlmCluster.Contracts;
using SlmCluster.Gateway.Serving;
using SlmCluster.Gateway.Serving.Tools;
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
            Tools = Tools(request),
            ToolTurns = Turns(request),
            Adapters = request.Adapters.Count == 0
                ? null
                : request.Adapters.Select((a, i) => a.Name.Length > 0
                    ? new AdapterReference(a.Name, null, a.HasScale ? a.Scale : 1f, $"adapters[{i}]")
                    : throw new InvalidRequestException(new RequestProblem($"adapters[{i}].name is empty; name an adapter as ListModels lists it.", $"adapters[{i}].name"))).ToArray(),
        };
    }

    private static ToolRequest? Tools(GenerateRequest request)
    {
        var mode = request.ToolChoice?.ChoiceCase switch
        {
            ToolChoice.ChoiceOneofCase.Function => ToolChoiceKind.Named,
            ToolChoice.ChoiceOneofCase.Mode => request.ToolChoice.Mode switch
            {
                Protocol.V1.ToolChoiceMode.None => ToolChoiceKind.None,
                Protocol.V1.ToolChoiceMode.Required => ToolChoiceKind.Required,
                _ => ToolChoiceKind.Auto,
            },
            _ => ToolChoiceKind.Auto,
        };
        if (request.Tools.Count == 0)
        {
            return mode switch
            {
                ToolChoiceKind.Required or ToolChoiceKind.Named =>
                    throw new InvalidRequestException(new RequestProblem("tool_choice asks for a call, but no tools are offered.", "tool_choice")),
                _ => null,
            };
        }

        var tools = request.Tools.Select((tool, i) => new ToolDefinition(tool.Name, tool.Description,
            tool.Parameters.Length > 0 ? tool.Parameters : ToolCallRules.NoParameters, $"tools[{i}].parameters")).ToArray();
        return new ToolRequest(tools, mode, mode == ToolChoiceKind.Named ? request.ToolChoice!.Function : null,
            !request.HasParallelToolCalls || request.ParallelToolCalls, "tools", "tool_choice");
    }

    private static ToolTurn?[]? Turns(GenerateRequest request)
    {
        ToolTurn?[]? turns = null;
        for (var i = 0; i < request.Messages.Count; i++)
        {
            var message = request.Messages[i];
            if (message.Role == "tool")
            {
                (turns ??= new ToolTurn?[request.Messages.Count])[i] = ToolTurn.ResultOf(message.ToolCallId);
            }
            else if (message.ToolCalls.Count > 0)
            {
                (turns ??= new ToolTurn?[request.Messages.Count])[i] = ToolTurn.Of(
                    [.. message.ToolCalls.Select(call => new ToolCallMade(call.Id, call.Name, call.Arguments.Length > 0 ? call.Arguments : "{}"))]);
            }
        }

        return turns;
    }

    private static Serving.ResponseFormat? Format(Protocol.V1.ResponseFormat? format) => format?.FormatCase switch
    {
        Protocol.V1.ResponseFormat.FormatOneofCase.JsonObject when format.JsonObject => Serving.ResponseFormat.JsonObject("response_format.json_object"),
        Protocol.V1.ResponseFormat.FormatOneofCase.JsonSchema => Serving.ResponseFormat.JsonSchema(format.JsonSchema, "response_format.json_schema"),
        Protocol.V1.ResponseFormat.FormatOneofCase.Gbnf when format.Gbnf.Length > 0 => Serving.ResponseFormat.Grammar(format.Gbnf, "response_format.gbnf"),
        _ => null,
    };
}

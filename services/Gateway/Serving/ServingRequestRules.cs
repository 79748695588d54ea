using Microsoft.Extensions.Options;
using SlmCluster.Contracts;
using SlmCluster.Gateway.Configuration;
using SlmCluster.StructuredOutput;

namespace SlmCluster.Gateway.Serving;

/// <summary>
/// Every rule about a request, in one place: its implications (<see cref="Normalize"/>) and its limits
/// (<see cref="Validate"/>), whichever front door it came through. A door's mapper checks only what its own shape
/// cannot say.
/// </summary>
public sealed class ServingRequestRules(IOptions<GatewayOptions> options)
{
    /// <summary>Most alternatives a request may ask for at each position (the engine's limit, and OpenAI's).</summary>
    public const int MaxTopLogprobs = GenerationCall.MaxTopLogprobs;

    /// <summary>Longest GBNF grammar a request may send, the converter's own limit for the grammars it writes.</summary>
    public static readonly int MaxGrammarCharacters = JsonSchemaGrammarOptions.Default.MaxGrammarLength;

    private static readonly HashSet<string> Roles = new(StringComparer.Ordinal) { "system", "user", "assistant", "tool" };

    /// <summary>Converted schemas by a hash of their canonical text: a client sends the same schema request after request.</summary>
    private readonly GrammarCache _grammars = new();

    private readonly GbnfGrammar _anyObject = JsonSchemaGrammar.AnyObject();

    /// <summary>
    /// The request with its <see cref="ServingRequest.ResponseFormat"/> made the worker's grammar: any JSON object, a
    /// JSON Schema converted (and cached), or the caller's GBNF as sent once <see cref="GbnfSyntax"/> has read it (the worker still refuses what llama.cpp cannot use).
    /// </summary>
    /// <exception cref="InvalidRequestException">The schema asks for what the converter cannot enforce (the message names the keyword and its path), or the grammar is too long.</exception>
    public ServingRequest Constrain(ServingRequest request)
    {
        if (request.ResponseFormat is not { } format)
        {
            return request;
        }

        string grammar;
        switch (format.Kind)
        {
            case ResponseFormatKind.JsonObject:
                grammar = _anyObject.Text;
                break;
            case ResponseFormatKind.JsonSchema:
                try
                {
                    grammar = _grammars.GetOrConvert(format.Text).Text;
                }
                catch (SchemaNotSupportedException e)
                {
                    throw new InvalidRequestException(new RequestProblem(e.Message, format.Param));
                }

                break;
            default:
                if (format.Text.Length > MaxGrammarCharacters)
                {
                    throw new InvalidRequestException(new RequestProblem(
                        $"The grammar is {format.Text.Length} characters; the limit is {MaxGrammarCharacters}.", format.Param));
                }

                // llama.cpp's own parser must never see a malformed grammar: checked here, refused with where it breaks.
                if (GbnfSyntax.Problem(format.Text) is { } problem)
                {
                    throw new InvalidRequestException(new RequestProblem($"The grammar is not valid GBNF (start rule 'root'): {problem}.", format.Param));
                }

                grammar = format.Text;
                break;
        }

        return request with { Call = request.Call with { Grammar = grammar } };
    }

    /// <summary>
    /// A call with its implications applied: asking for alternatives asks for logprobs; a penalty or bias that changes
    /// nothing (0, 1 for repeat_penalty, an empty logit_bias, a window with no penalty to apply) is as if not sent, so
    /// it shares the answer and cache key of the request without it.
    /// </summary>
    public static GenerationCall Normalize(GenerationCall call)
    {
        if (call.TopLogprobs > 0 && !call.Logprobs)
        {
            call = call with { Logprobs = true };
        }

        if (call.PresencePenalty == 0 || call.FrequencyPenalty == 0 || call.RepeatPenalty == 1 || call.LogitBias is { Count: 0 })
        {
            call = call with
            {
                PresencePenalty = call.PresencePenalty == 0 ? null : call.PresencePenalty,
                FrequencyPenalty = call.FrequencyPenalty == 0 ? null : call.FrequencyPenalty,
                RepeatPenalty = call.RepeatPenalty == 1 ? null : call.RepeatPenalty,
                LogitBias = call.LogitBias is { Count: 0 } ? null : call.LogitBias,
            };
        }

        if (call.RepeatLastN is not null && call.PresencePenalty is null && call.FrequencyPenalty is null && call.RepeatPenalty is null)
        {
            call = call with { RepeatLastN = null };
        }

        return call;
    }

    /// <summary>OpenAI's range for <c>presence_penalty</c> and <c>frequency_penalty</c>.</summary>
    public const float MaxPenalty = 2;

    /// <summary>Largest <c>repeat_penalty</c>: past it every repeated token is as good as banned.</summary>
    public const float MaxRepeatPenalty = 10;

    /// <summary>OpenAI's range for a <c>logit_bias</c> value: -100 bans a token, 100 forces it.</summary>
    public const float MaxLogitBias = 100;

    /// <summary>Most tokens a <c>logit_bias</c> may name (the engine's limit).</summary>
    public const int MaxLogitBiasEntries = 1024;

    /// <summary>The penalties and biases, each against its range; the worker checks token ids against its vocabulary.</summary>
    private RequestProblem? SamplingProblem(GenerationCall call)
    {
        if (call.PresencePenalty is { } presence && !(presence is >= -MaxPenalty and <= MaxPenalty))
        {
            return new($"presence_penalty is {presence}; it must be between -{MaxPenalty} and {MaxPenalty} (0 = off).", "presence_penalty");
        }

        if (call.FrequencyPenalty is { } frequency && !(frequency is >= -MaxPenalty and <= MaxPenalty))
        {
            return new($"frequency_penalty is {frequency}; it must be between -{MaxPenalty} and {MaxPenalty} (0 = off).", "frequency_penalty");
        }

        if (call.RepeatPenalty is { } repeat && !(repeat is > 0 and <= MaxRepeatPenalty))
        {
            return new($"repeat_penalty is {repeat}; it must be more than 0 and at most {MaxRepeatPenalty} (1 = off).", "repeat_penalty");
        }

        var maxWindow = options.Value.MaxTokensLimit;
        if (call.RepeatLastN is { } window && (window < -1 || window > maxWindow))
        {
            return new($"repeat_last_n is {window}; it must be between 0 (penalties off) and {maxWindow}, or -1 for the whole answer.", "repeat_last_n");
        }

        if (call.LogitBias is not { } biases)
        {
            return null;
        }

        if (biases.Count > MaxLogitBiasEntries)
        {
            return new($"logit_bias names {biases.Count} tokens; the limit is {MaxLogitBiasEntries}.", "logit_bias");
        }

        foreach (var (token, bias) in biases)
        {
            if (token < 0)
            {
                return new($"logit_bias names token {token}; token ids are 0 or more.", "logit_bias");
            }

            if (!(bias is >= -MaxLogitBias and <= MaxLogitBias))
            {
                return new($"logit_bias of token {token} is {bias}; it must be between -{MaxLogitBias} and {MaxLogitBias}.", "logit_bias");
            }
        }

        return null;
    }

    /// <summary>The first problem with <paramref name="request"/>, or null when it is valid.</summary>
    public RequestProblem? Validate(ServingRequest request)
    {
        var o = options.Value;
        var call = request.Call;
        var prompt = call.Prompt ?? "";
        var messages = call.Messages ?? [];
        var hasPrompt = prompt.Length > 0;
        var hasMessages = messages.Count > 0;
        if (!hasPrompt && !hasMessages)
        {
            return new("The request has neither a prompt nor messages: set 'prompt' for a completion or 'messages' for a chat.", "messages");
        }

        if (hasPrompt && hasMessages)
        {
            return new("The request has both a prompt and messages: set only one of them.", "messages");
        }

        if (prompt.Length > o.MaxPromptCharacters)
        {
            return new($"The prompt is {prompt.Length} characters; the limit is {o.MaxPromptCharacters}.", "prompt");
        }

        if (messages.Count > o.MaxMessages)
        {
            return new($"The request has {messages.Count} messages; the limit is {o.MaxMessages}.", "messages");
        }

        var chars = 0;
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (!Roles.Contains(message.Role))
            {
                return new($"messages[{i}].role is '{message.Role}'; use one of: system, user, assistant, tool.", $"messages[{i}].role");
            }

            chars += message.Content.Length;
        }

        if (chars > o.MaxPromptCharacters)
        {
            return new($"The messages hold {chars} characters; the limit is {o.MaxPromptCharacters}.", "messages");
        }

        if (call.MaxTokens < 0 || call.MaxTokens > o.MaxTokensLimit)
        {
            return new($"max_tokens is {call.MaxTokens}; it must be between 1 and {o.MaxTokensLimit} (0 uses the default).", "max_tokens");
        }

        if (float.IsNaN(call.Temperature) || call.Temperature < 0 || call.Temperature > 10)
        {
            return new($"sampling.temperature is {call.Temperature}; it must be between 0 (greedy) and 10.", "temperature");
        }

        if (float.IsNaN(call.TopP) || call.TopP < 0 || call.TopP > 1)
        {
            return new($"sampling.top_p is {call.TopP}; it must be between 0 and 1.", "top_p");
        }

        if (call.TopK < 0)
        {
            return new($"sampling.top_k is {call.TopK}; it must be 0 (off) or positive.", "top_k");
        }

        if (SamplingProblem(call) is { } sampling)
        {
            return sampling;
        }

        if (call.TopLogprobs is < 0 or > MaxTopLogprobs)
        {
            return new($"top_logprobs is {call.TopLogprobs}; it must be between 0 and {MaxTopLogprobs} (the most likely tokens reported at each position; more than 0 turns logprobs on).", "top_logprobs");
        }

        if (call.Stop.Count > o.MaxStopStrings)
        {
            return new($"The request has {call.Stop.Count} stop strings; the limit is {o.MaxStopStrings}.", "stop");
        }

        foreach (var stop in call.Stop)
        {
            if (stop.Length == 0 || stop.Length > o.MaxStopStringLength)
            {
                return new($"Stop strings must be 1 to {o.MaxStopStringLength} characters; got one of {stop.Length}.", "stop");
            }
        }

        if (request.CacheTtlSeconds < 0)
        {
            return new($"cache.ttl_seconds is {request.CacheTtlSeconds}; it must be 0 (default) or positive.", "cache.ttl_seconds");
        }

        return null;
    }
}

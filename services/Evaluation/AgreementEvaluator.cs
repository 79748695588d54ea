using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace SlmCluster.Evaluation;

/// <summary>
/// The agreement scores as an evaluator of the evaluation library: a response (its text and function calls) against
/// the <see cref="ReferenceAnswerContext"/> given with it, one <see cref="NumericMetric"/> per score that applies, each
/// in [0, 1]. No model is asked: every score is computed from the two answers.
/// </summary>
public sealed class AgreementEvaluator : IEvaluator
{
    public IReadOnlyCollection<string> EvaluationMetricNames => AgreementMetrics.All.ToArray();

    public ValueTask<EvaluationResult> EvaluateAsync(IEnumerable<ChatMessage> messages, ChatResponse modelResponse,
        ChatConfiguration? chatConfiguration = null, IEnumerable<EvaluationContext>? additionalContext = null,
        CancellationToken cancellationToken = default)
    {
        if (additionalContext?.OfType<ReferenceAnswerContext>().FirstOrDefault() is not { } context)
        {
            var missing = new NumericMetric(AgreementMetrics.F1);
            missing.AddDiagnostics(EvaluationDiagnostic.Error($"No {nameof(ReferenceAnswerContext)} was given: there is nothing to agree with."));
            return ValueTask.FromResult(new EvaluationResult(missing));
        }

        var calls = modelResponse.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>()
            .Select(c => new ToolCallAnswer(c.Name, System.Text.Json.JsonSerializer.Serialize(c.Arguments ?? new Dictionary<string, object?>())))
            .ToArray();
        var answer = new ScoredAnswer(modelResponse.Text, calls);
        var metrics = AnswerAgreement.Score(answer, context.Reference, context.Structured)
            .Select(s => (EvaluationMetric)new NumericMetric(s.Metric, s.Value))
            .ToArray();
        return ValueTask.FromResult(new EvaluationResult(metrics));
    }
}

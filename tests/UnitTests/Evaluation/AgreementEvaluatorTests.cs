using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;
using SlmCluster.Evaluation;

namespace SlmCluster.UnitTests.Evaluation;

public sealed class AgreementEvaluatorTests
{
    [Fact]
    public async Task The_evaluator_reports_each_score_that_applies_as_a_numeric_metric()
    {
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, """{"name":"Tim","age":4}"""));
        var reference = new ReferenceAnswerContext(ScoredAnswer.OfText("""{"name":"Tim","age":5}"""), structured: true);

        var result = await new AgreementEvaluator().EvaluateAsync([new ChatMessage(ChatRole.User, "Who?")], response, additionalContext: [reference]);

        Assert.Equal([AgreementMetrics.ExactMatch, AgreementMetrics.F1, AgreementMetrics.RougeL, AgreementMetrics.JsonAgreement], result.Metrics.Keys);
        Assert.Equal(0, result.Get<NumericMetric>(AgreementMetrics.ExactMatch).Value);
        // Words: name tim age 4 / name tim age 5: 3 common of 4 each.
        Assert.Equal(0.75, result.Get<NumericMetric>(AgreementMetrics.F1).Value!.Value, 12);
        Assert.Equal(0.5, result.Get<NumericMetric>(AgreementMetrics.JsonAgreement).Value);
    }

    [Fact]
    public async Task The_evaluator_scores_function_calls_of_the_response()
    {
        var call = new FunctionCallContent("c1", "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" });
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, [call]));
        var reference = new ReferenceAnswerContext(new ScoredAnswer("", [new ToolCallAnswer("get_weather", """{"city":"Oslo"}""")]), structured: false);

        var result = await new AgreementEvaluator().EvaluateAsync([], response, additionalContext: [reference]);

        Assert.Equal(1, result.Get<NumericMetric>(AgreementMetrics.ToolCallAgreement).Value);
    }

    [Fact]
    public async Task Without_a_reference_the_evaluator_says_there_is_nothing_to_agree_with()
    {
        var result = await new AgreementEvaluator().EvaluateAsync([], new ChatResponse(new ChatMessage(ChatRole.Assistant, "hi")));

        Assert.Contains(result.Metrics.Values.SelectMany(m => m.Diagnostics ?? []), d => d.Severity == EvaluationDiagnosticSeverity.Error);
    }

    [Fact]
    public void Metric_labels_are_the_names_in_snake_case()
    {
        Assert.Equal(["exact_match", "f1", "rouge_l", "json_agreement", "tool_call_agreement", "embedding_cosine"], AgreementMetrics.All.Select(AgreementMetrics.Label));
    }
}

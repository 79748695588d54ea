namespace SlmCluster.Evaluation;

/// <summary>
/// The names of the agreement scores: as <see cref="Microsoft.Extensions.AI.Evaluation.EvaluationMetric.Name"/> gives
/// them (the evaluation library's NLP evaluators name token F1 <c>F1</c>), and as the <c>metric</c> label of
/// <c>slm_shadow_agreement</c> and the eval report's columns carry them.
/// </summary>
public static class AgreementMetrics
{
    public const string ExactMatch = "Exact Match";
    public const string F1 = "F1";
    public const string RougeL = "ROUGE-L";
    public const string JsonAgreement = "JSON Agreement";
    public const string ToolCallAgreement = "Tool Call Agreement";
    public const string EmbeddingCosine = "Embedding Cosine";

    /// <summary>Every score, in the order reports list them.</summary>
    public static IReadOnlyList<string> All { get; } = [ExactMatch, F1, RougeL, JsonAgreement, ToolCallAgreement, EmbeddingCosine];

    /// <summary>The score a metric label carries: lower case, words joined by <c>_</c> (<c>exact_match</c>, <c>rouge_l</c>).</summary>
    public static string Label(string metric) => metric.ToLowerInvariant().Replace(' ', '_').Replace('-', '_');
}

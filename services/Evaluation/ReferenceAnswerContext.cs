using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace SlmCluster.Evaluation;

/// <summary>The reference's answer an <see cref="AgreementEvaluator"/> scores a response against.</summary>
public sealed class ReferenceAnswerContext(ScoredAnswer reference, bool structured)
    : EvaluationContext(ContextName, new TextContent(reference.Text))
{
    public const string ContextName = "Reference answer";

    public ScoredAnswer Reference { get; } = reference;

    /// <summary>The request asked for JSON: the answers are compared as JSON too.</summary>
    public bool Structured { get; } = structured;
}

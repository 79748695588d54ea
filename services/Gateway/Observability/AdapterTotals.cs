namespace SlmCluster.Gateway.Observability;

/// <summary>What requests under one LoRA adapter (or set, names joined by '+') on one base model came to since the gateway started.</summary>
public sealed record AdapterTotals(
    string Adapter,
    string Model,
    long Requests,
    long Errors,
    long PromptTokens,
    long CompletionTokens,
    double CostUsd);

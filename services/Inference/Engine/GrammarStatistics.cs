namespace SlmCluster.Inference;

/// <summary>What the engine's grammars have done since it started: running totals, for metrics and benchmarks.</summary>
/// <param name="Requests">Generations that ran under a grammar to their end (finished, cut or failed).</param>
/// <param name="Tokens">Tokens those generations sampled under their grammars.</param>
/// <param name="Resamples">Tokens the sampler chain picked that the grammar rejected, each followed by a second pick (the next most likely tokens tested one by one for a greedy request, else a mask over the whole vocabulary).</param>
/// <param name="DeadEnds">Generations ended because the grammar allowed no token.</param>
/// <param name="Refused">Grammars llama.cpp refused to parse (the request failed before it was queued).</param>
/// <param name="Seconds">Time spent in the grammar: tests, masks and advances.</param>
public readonly record struct GrammarStatistics(long Requests, long Tokens, long Resamples, long DeadEnds, long Refused, double Seconds);

using System.Text;
using SlmCluster.Inference.Native;

namespace SlmCluster.Inference;

/// <summary>
/// A greedy run of one prompt driven directly through the binding (own context, one sequence, no batching), keeping
/// each step's two best logits. Explains a greedy mismatch (tests, investigations): how close the top two tokens
/// were where two outputs parted.
/// </summary>
internal sealed unsafe class GreedyTrace
{
    private GreedyTrace(List<Step> steps) => Steps = steps;

    public sealed record Step(int Token, string Piece, int RunnerUp, float TopLogit, float RunnerUpLogit)
    {
        public float Margin => TopLogit - RunnerUpLogit;
    }

    public IReadOnlyList<Step> Steps { get; }

    public static GreedyTrace Run(LlamaModel model, string prompt, int maxTokens)
    {
        int[] tokens = model.Tokenize(prompt, addSpecial: true, parseSpecial: false);
        LlamaContextParams parameters = LlamaApi.llama_context_default_params();
        parameters.NCtx = 512;
        parameters.NBatch = 512;
        parameters.NUbatch = 512;
        parameters.NSeqMax = 1;
        parameters.NThreads = 1;
        parameters.NThreadsBatch = 1;
        using SafeLlamaContextHandle context = LlamaApi.llama_init_from_model(model.Handle, parameters);
        if (context.IsInvalid)
        {
            throw new InvalidOperationException("llama.cpp could not create a context for the reference run");
        }
        LlamaBatch batch = LlamaApi.llama_batch_init(512, 0, 1);
        var steps = new List<Step>();
        try
        {
            Fill(ref batch, tokens, 0);
            int position = tokens.Length;
            int vocab = model.Metadata.VocabSize;
            for (int i = 0; i < maxTokens; i++)
            {
                if (LlamaApi.llama_decode(context, batch) != 0)
                {
                    throw new InvalidOperationException("llama_decode failed in the reference run");
                }
                var logits = new ReadOnlySpan<float>(LlamaApi.llama_get_logits_ith(context, -1), vocab);
                int best = 0, second = 1;
                if (logits[second] > logits[best])
                {
                    (best, second) = (second, best);
                }
                for (int t = 2; t < vocab; t++)
                {
                    if (logits[t] > logits[best])
                    {
                        second = best;
                        best = t;
                    }
                    else if (logits[t] > logits[second])
                    {
                        second = t;
                    }
                }
                steps.Add(new Step(best, model.TokenToText(best), second, logits[best], logits[second]));
                if (model.IsEndOfGeneration(best))
                {
                    break;
                }
                Fill(ref batch, [best], position++);
            }
        }
        finally
        {
            LlamaApi.llama_batch_free(batch);
        }
        return new GreedyTrace(steps);
    }

    /// <summary>Says where <paramref name="actual"/> leaves this run's text and how close that step's top two logits were.</summary>
    public string ExplainDivergence(string actual)
    {
        var text = new StringBuilder();
        for (int i = 0; i < Steps.Count; i++)
        {
            Step step = Steps[i];
            int before = text.Length;
            text.Append(step.Piece);
            string sofar = text.ToString();
            bool agrees = actual.Length >= sofar.Length
                ? actual.StartsWith(sofar, StringComparison.Ordinal)
                : sofar.StartsWith(actual, StringComparison.Ordinal) && i == Steps.Count - 1;
            if (!agrees)
            {
                return $"outputs part at generated token {i} (text offset {before}): alone the top two logits were " +
                       $"token {step.Token} [{step.Piece}] {step.TopLogit:F4} and token {step.RunnerUp} {step.RunnerUpLogit:F4}, " +
                       $"margin {step.Margin:G4}; margins of the steps before: " +
                       string.Join(", ", Steps.Take(i).Select(s => s.Margin.ToString("G3"))) +
                       $"; the smallest margin of the whole run is {Steps.Min(s => s.Margin):G4}";
            }
        }
        return $"the texts agree over all {Steps.Count} reference tokens (smallest margin {Steps.Min(s => s.Margin):G4})";
    }

    private static void Fill(ref LlamaBatch batch, ReadOnlySpan<int> tokens, int firstPosition)
    {
        for (int i = 0; i < tokens.Length; i++)
        {
            batch.Token[i] = tokens[i];
            batch.Pos[i] = firstPosition + i;
            batch.NSeqId[i] = 1;
            batch.SeqId[i][0] = 0;
            batch.Logits[i] = (sbyte)(i == tokens.Length - 1 ? 1 : 0);
        }
        batch.NTokens = tokens.Length;
    }
}

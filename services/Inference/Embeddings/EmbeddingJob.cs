using System.Diagnostics;

namespace SlmCluster.Inference;

/// <summary>
/// One embedding request inside the engine: its inputs as tokens (validated, within the batch size), the vectors
/// filled in by the engine thread as its inputs are decoded, and the task its caller awaits. Its inputs may be spread
/// over several decodes, beside other requests' inputs.
/// </summary>
internal sealed class EmbeddingJob
{
    private readonly TaskCompletionSource<EmbeddingResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly long _started;
    private readonly CancellationTokenRegistration _cancellation;

    public EmbeddingJob(int[][] inputs, int dimensions, int truncatedInputs, long started, CancellationToken cancellationToken)
    {
        Inputs = inputs;
        Dimensions = dimensions;
        TruncatedInputs = truncatedInputs;
        Vectors = new float[inputs.Length][];
        _started = started;
        _cancellation = cancellationToken.UnsafeRegister(static state => ((EmbeddingJob)state!)._completion.TrySetCanceled(), this);
    }

    public int[][] Inputs { get; }

    public float[][] Vectors { get; }

    /// <summary>0 keeps every dimension.</summary>
    public int Dimensions { get; }

    public int TruncatedInputs { get; }

    /// <summary>Engine thread: the first input not decoded yet.</summary>
    public int Next { get; set; }

    /// <summary>Its caller has its answer, its error, or has gone (cancelled): nothing more is decoded for it.</summary>
    public bool IsFinished => _completion.Task.IsCompleted;

    public Task<EmbeddingResult> Completion => _completion.Task;

    public void Complete()
    {
        int tokens = 0;
        var perInput = new int[Inputs.Length];
        for (int i = 0; i < Inputs.Length; i++)
        {
            perInput[i] = Inputs[i].Length;
            tokens += perInput[i];
        }
        _completion.TrySetResult(new EmbeddingResult(Vectors, tokens, TruncatedInputs, Stopwatch.GetElapsedTime(_started), perInput));
        _cancellation.Dispose();
    }

    public void Fail(InferenceException error)
    {
        _completion.TrySetException(error);
        _cancellation.Dispose();
    }
}

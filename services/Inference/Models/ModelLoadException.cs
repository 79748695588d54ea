namespace SlmCluster.Inference;

/// <summary>A model file could not be loaded; the message always names the file.</summary>
public sealed class ModelLoadException : Exception
{
    public ModelLoadException(string modelPath, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ModelPath = modelPath;
    }

    /// <summary>The path that was asked for.</summary>
    public string ModelPath { get; }
}

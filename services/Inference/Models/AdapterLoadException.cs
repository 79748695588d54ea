namespace SlmCluster.Inference;

/// <summary>An adapter file that cannot serve with this base model; the message says why.</summary>
internal sealed class AdapterLoadException(string message, Exception? innerException = null) : Exception(message, innerException);

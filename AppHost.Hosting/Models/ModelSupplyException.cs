namespace SlmCluster.AppHost.Hosting.Models;

/// <summary>The model cannot be supplied: not found, not downloadable, or not the file its SHA-256 names.</summary>
internal sealed class ModelSupplyException(string message, Exception? inner = null) : Exception(message, inner);

using Microsoft.Extensions.Options;
using SlmCluster.Inference;

namespace SlmCluster.Worker.Configuration;

/// <summary>
/// Owns the worker's one model instance: loads it before the listeners open (so a worker that
/// answers health checks can serve) and disposes it after they close.
/// </summary>
public sealed partial class EngineHost(IOptions<WorkerOptions> options, ILoggerFactory loggerFactory, ILogger<EngineHost> logger)
    : IHostedService, IAsyncDisposable
{
    private LlamaEngine? _engine;

    public IInferenceEngine Engine => _engine ?? throw new InvalidOperationException("The model is not loaded yet.");

    /// <summary>Whether the model is loaded and the engine running.</summary>
    public bool IsLoaded => _engine is not null;

    public string WorkerId { get; } = options.Value.Id is { Length: > 0 } id ? id : $"{Environment.MachineName}-{Environment.ProcessId}";

    public string ModelId { get; private set; } = "";

    /// <summary>The model file's SHA-256 (hex), hashed in the background: cache keys and the registry carry it.</summary>
    public Task<string> ModelSha256 { get; private set; } = Task.FromResult("");

    /// <summary>Each served adapter's file SHA-256 (hex), hashed in the background as the model's.</summary>
    public IReadOnlyDictionary<string, Task<string>> AdapterSha256 { get; private set; } = new Dictionary<string, Task<string>>();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var path = ModelPathResolver.Resolve(o.ModelPath);
        var started = TimeProvider.System.GetTimestamp();
        _engine = LlamaEngine.Start(new EngineOptions
        {
            ModelPath = path,
            Threads = o.Threads,
            Slots = o.Slots,
            ContextSize = o.ContextSize,
            BatchSize = o.BatchSize,
            GpuLayers = o.GpuLayers,
            MaxQueue = o.MaxQueue,
            MaxTokensLimit = o.MaxTokensLimit,
            Serves = o.ServedTasks,
            Adapters = o.Adapters.Select(a => new AdapterFile(a.Name, ModelPathResolver.Resolve(a.Path))).ToArray(),
            AdapterTurnSteps = o.AdapterTurnSteps,
            Embedding = new EmbeddingOptions
            {
                Pooling = Enum.Parse<EmbeddingPooling>(o.EmbeddingPooling, ignoreCase: true),
                BatchSize = o.EmbeddingBatchSize,
                TokensPerGenerationToken = o.EmbeddingTokensPerGenerationToken,
                MaxInputs = o.EmbeddingMaxInputs,
                MaxQueue = o.MaxQueue,
            },
        }, loggerFactory);
        ModelId = o.ModelId is { Length: > 0 } modelId ? modelId : Path.GetFileNameWithoutExtension(path);
        ModelSha256 = Task.Run(() => HashFileAsync(path));
        AdapterSha256 = _engine.Adapters.ToDictionary(a => a.Name, a => Task.Run(() => HashFileAsync(a.Path)), StringComparer.Ordinal);
        var model = _engine.Model;
        LogLoaded(logger, WorkerId, ModelId, model.Architecture, model.ParameterCount, path, o.Threads, o.Slots,
            TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);
        foreach (var adapter in _engine.Adapters)
        {
            LogAdapterLoaded(logger, ModelId, adapter.Name, adapter.Rank, adapter.Path);
        }
        foreach (var failure in _engine.AdapterFailures)
        {
            LogAdapterRefused(logger, ModelId, failure.Name, failure.Reason);
        }
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    private static async Task<string> HashFileAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 20, useAsync: true);
        return Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(stream));
    }

    public async ValueTask DisposeAsync()
    {
        if (_engine is { } engine)
        {
            _engine = null;
            await engine.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {ModelId} serves adapter {AdapterName} (rank {Rank}) from {Path}")]
    private static partial void LogAdapterLoaded(ILogger logger, string modelId, string adapterName, int rank, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Model {ModelId} serves without adapter {AdapterName}: {Reason}")]
    private static partial void LogAdapterRefused(ILogger logger, string modelId, string adapterName, string reason);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Worker {WorkerId} loaded model {ModelId} ({Architecture}, {Parameters} parameters) from {Path} with {Threads} threads, {Slots} slots in {ElapsedMs:F0} ms")]
    private static partial void LogLoaded(ILogger logger, string workerId, string modelId, string architecture, ulong parameters,
        string path, int threads, int slots, double elapsedMs);
}

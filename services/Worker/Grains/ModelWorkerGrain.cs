using Orleans.Concurrency;
using Orleans.GrainDirectory;
using Orleans.Placement;
using SlmCluster.Contracts;
using SlmCluster.Contracts.Placement;

namespace SlmCluster.Worker.Grains;

/// <summary>
/// The model instance of this worker silo as a grain: placed on the silo its key names and nowhere else, never moved,
/// never collected while the silo lives, its directory entry in Redis (so a silo that dies elsewhere cannot take it
/// away). Reentrant: many generations run at once (the engine batches them); the grain holds no state of its own.
/// </summary>
[GrainType(WorkerGrainKey.GrainType)]
[SiloPinnedPlacement]
[Immovable]
[KeepAlive]
[Reentrant]
[GrainDirectory(GrainDirectoryName = WorkerGrainKey.Directory)]
internal sealed partial class ModelWorkerGrain(WorkerGeneration generation, WorkerEmbeddings embeddings, WorkerGrainActivations activations, ILogger<ModelWorkerGrain> logger)
    : Grain, IModelWorkerGrain
{
    private int _activation;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _activation = activations.Activated();
        LogActivated(logger, this.GetPrimaryKeyString(), _activation);
        return Task.CompletedTask;
    }

    public IAsyncEnumerable<GenerationPiece> Generate(GenerationCall call, CancellationToken cancellationToken) =>
        generation.RunAsync(call, cancellationToken);

    public Task<int> CountPromptTokens(GenerationCall call) => Task.FromResult(generation.CountPromptTokens(call));

    public Task<EmbeddingAnswer> Embed(EmbeddingCall call, CancellationToken cancellationToken) => embeddings.EmbedAsync(call, cancellationToken);

    public Task<WorkerStatus> GetStatus() => Task.FromResult(generation.Status(activations.Count));

    [LoggerMessage(Level = LogLevel.Information, Message = "Model worker grain {Key} activated (activation {Activation} on this silo)")]
    private static partial void LogActivated(ILogger logger, string key, int activation);
}

using SlmCluster.Inference;

namespace SlmCluster.Bench.Targets;

/// <summary>
/// Several engines in this process, each request on the one with the fewest running: what the cores give with no
/// serving path at all, the ceiling a cluster of as many workers is measured against.
/// </summary>
internal sealed class EnginePoolTarget(IReadOnlyList<LlamaEngine> engines, string name) : IBenchTarget
{
    private readonly EngineTarget[] _targets = [.. engines.Select(e => new EngineTarget(e))];
    private readonly int[] _running = new int[engines.Count];
    private readonly Lock _pick = new();

    public string Name => name;

    public int? ServingProcessId => Environment.ProcessId;

    public async Task<RequestSample> RunAsync(string prompt, int maxTokens, CancellationToken cancellationToken)
    {
        int chosen;
        lock (_pick)
        {
            chosen = 0;
            for (var i = 1; i < _running.Length; i++)
            {
                if (_running[i] < _running[chosen])
                {
                    chosen = i;
                }
            }

            _running[chosen]++;
        }

        try
        {
            return await _targets[chosen].RunAsync(prompt, maxTokens, cancellationToken);
        }
        finally
        {
            lock (_pick)
            {
                _running[chosen]--;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var target in _targets)
        {
            await target.DisposeAsync();
        }
    }
}

namespace SlmCluster.Bench.Cluster;

/// <summary>
/// llama.cpp's llama-server (a binary <c>bench/peer.sh</c> built) started on the bench's model with the same threads,
/// slots and KV cache as the worker (each slot its own KV stream, as the engine): the peer a user would pick instead.
/// Ready when <c>/health</c> answers 200 (the model is loaded). Its per-request log lines are kept, not echoed.
/// </summary>
internal sealed class LlamaServerPeer : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private LlamaServerPeer(ChildProcess process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public int ProcessId => _process.Id;

    public static async Task<LlamaServerPeer> StartAsync(string name, string binary, string modelPath, int threads, int slots, int contextSize,
        CancellationToken cancellationToken)
    {
        if (!File.Exists(binary))
        {
            throw new InvalidOperationException($"{name}: {binary} does not exist; bench/peer.sh builds it and prints its path");
        }

        var port = BenchCluster.FreePort();
        string t = BenchCluster.Invariant(threads);
        // -b/-ub as the engine's batch; --no-webui: nothing but the API.
        string[] arguments =
        [
            "-m", modelPath, "-t", t, "-tb", t, "-np", BenchCluster.Invariant(slots), "-c", BenchCluster.Invariant(contextSize),
            "-b", "512", "-ub", "512", "--no-webui", "--host", "127.0.0.1", "--port", BenchCluster.Invariant(port),
        ];
        var process = ChildProcess.Start(name, binary, arguments, new Dictionary<string, string>(), echo: false);
        var peer = new LlamaServerPeer(process, new Uri($"http://127.0.0.1:{port}/"));
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            await BenchCluster.WaitUntilAsync(process, () => HealthyAsync(http, peer.BaseAddress, cancellationToken), "answered /health", cancellationToken);
            return peer;
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync() => await _process.DisposeAsync();

    private static async Task<bool> HealthyAsync(HttpClient http, Uri baseAddress, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(baseAddress, "health"), cancellationToken);
            return response.IsSuccessStatusCode; // 503 while the model loads
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false; // not listening yet
        }
    }
}

using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Grpc.Core;
using SlmCluster.Protocol.V1;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests.ContainerSuite.Soak;

/// <summary>
/// A closed loop of mixed requests spread over the gateways: gRPC streams, gRPC unary calls and OpenAI completions
/// over HTTP, each caller sending its next request when the last one ended.
/// </summary>
internal sealed partial class MixedLoad
{
    private static readonly string[] Kinds = ["grpc-stream", "grpc-unary", "openai-http"];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _callers = [];
    private readonly List<SoakRequest> _requests = [];
    private readonly Stopwatch _clock;
    private int _underWay;

    private MixedLoad(Stopwatch clock) => _clock = clock;

    /// <summary>Requests sent and not yet ended.</summary>
    public int UnderWay => Volatile.Read(ref _underWay);

    public static MixedLoad Start(ContainerCluster cluster, int callersPerGateway, Stopwatch clock)
    {
        var load = new MixedLoad(clock);
        foreach (var gateway in cluster.Gateways)
        {
            var grpc = cluster.GrpcClient(gateway);
            var http = new HttpClient { BaseAddress = cluster.HttpAddress(gateway), Timeout = TimeSpan.FromSeconds(90) };
            for (var i = 0; i < callersPerGateway; i++)
            {
                var kind = Kinds[(load._callers.Count) % Kinds.Length];
                load._callers.Add(Task.Run(() => load.CallAsync(kind, gateway.Name, grpc, http)));
            }
        }

        return load;
    }

    public IReadOnlyList<SoakRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public async Task<IReadOnlyList<SoakRequest>> StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_callers);
        return Requests;
    }

    private async Task CallAsync(string kind, string gateway, InferenceClient grpc, HttpClient http)
    {
        for (var n = 0; !_stop.IsCancellationRequested; n++)
        {
            var started = _clock.Elapsed;
            Interlocked.Increment(ref _underWay);
            var prompt = $"Once upon a time, {kind} story {n} at {gateway}";
            var maxTokens = 40 + (n % 5 * 40);
            var (worker, tokens, error) = await SendAsync(kind, grpc, http, prompt, maxTokens);
            lock (_requests)
            {
                _requests.Add(new SoakRequest(kind, gateway, started, _clock.Elapsed, worker, tokens, error));
            }

            Interlocked.Decrement(ref _underWay);
            if (error is not null)
            {
                // A caller that failed backs off a little, as a client would, instead of spinning on a dead address.
                await Task.Delay(200);
            }
        }
    }

    private static async Task<(string? Worker, int Tokens, string? Error)> SendAsync(string kind, InferenceClient grpc, HttpClient http, string prompt, int maxTokens)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        try
        {
            switch (kind)
            {
                case "grpc-stream":
                    {
                        using var call = grpc.GenerateStream(new GenerateRequest { Prompt = prompt, MaxTokens = maxTokens, IgnoreEos = true }, new CallOptions(deadline: deadline));
                        string? worker = null;
                        var tokens = 0;
                        await foreach (var chunk in call.ResponseStream.ReadAllAsync())
                        {
                            worker = chunk.Served?.WorkerId is { Length: > 0 } id ? id : worker;
                            tokens = chunk.Usage?.CompletionTokens ?? tokens;
                        }

                        return (worker, tokens, null);
                    }

                case "grpc-unary":
                    {
                        var response = await grpc.GenerateAsync(new GenerateRequest { Prompt = prompt, MaxTokens = maxTokens, IgnoreEos = true }, new CallOptions(deadline: deadline));
                        return (response.Served.WorkerId, response.Usage.CompletionTokens, null);
                    }

                default:
                    {
                        using var response = await http.PostAsJsonAsync("v1/completions", new { prompt, max_tokens = maxTokens });
                        var body = await response.Content.ReadAsStringAsync();
                        if (!response.IsSuccessStatusCode)
                        {
                            return (NamedWorker(body), 0, $"HTTP {(int)response.StatusCode}: {body}");
                        }

                        using var json = JsonDocument.Parse(body);
                        return (null, json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), null);
                    }
            }
        }
        catch (RpcException e)
        {
            return (NamedWorker(e.Status.Detail), 0, $"{e.StatusCode}: {e.Status.Detail}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return (null, 0, $"{e.GetType().Name}: {e.Message}");
        }
    }

    private static string? NamedWorker(string detail) => WorkerName().Match(detail) is { Success: true } m ? m.Groups[1].Value : null;

    [GeneratedRegex(@"Worker (\S+) ")]
    private static partial Regex WorkerName();
}

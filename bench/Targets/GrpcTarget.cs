using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Bench.Targets;

/// <summary>The front door: the gateway over gRPC, through Grpc.Net.Client; the response cache is bypassed unless <paramref name="useCache"/>.</summary>
internal sealed class GrpcTarget(string name, Uri address, int? servingProcessId, bool useCache = false) : IBenchTarget
{
    private readonly GrpcChannel _channel = GrpcChannel.ForAddress(address);

    public string Name => name;

    public int? ServingProcessId => servingProcessId;

    /// <summary>Headers sent with every generation call.</summary>
    public Metadata? Headers { get; set; }

    public async Task<RequestSample> RunAsync(string prompt, int maxTokens, CancellationToken cancellationToken)
    {
        var client = new Protocol.V1.Inference.InferenceClient(_channel);
        var request = new GenerateRequest { Prompt = prompt, MaxTokens = maxTokens, IgnoreEos = true, Cache = new CachePolicy { Bypass = !useCache } };
        var started = Stopwatch.GetTimestamp();
        TimeSpan? first = null;
        var tokens = 0;
        TimeSpan? server = null;
        TimeSpan? serverFirst = null;
        using var call = client.GenerateStream(request, new CallOptions(Headers, cancellationToken: cancellationToken));
        await foreach (var chunk in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            if (chunk.Text.Length > 0)
            {
                first ??= Stopwatch.GetElapsedTime(started);
            }

            if (chunk.Usage is { } usage)
            {
                tokens = usage.CompletionTokens;
            }

            if (chunk.Served is { CacheHit: false } served)
            {
                server = TimeSpan.FromMilliseconds(served.TotalMs);
                serverFirst = TimeSpan.FromMilliseconds(served.TimeToFirstTokenMs);
            }
        }

        var total = Stopwatch.GetElapsedTime(started);
        return new RequestSample(first ?? total, total, tokens, server, serverFirst);
    }

    /// <summary>
    /// The gRPC hop alone, on the same channel and gateway: a server-streaming call (<c>grpc.health.v1.Health/Watch</c>)
    /// whose first message the gateway writes at once, timed from the call's start to that message: the way in and the
    /// first message's way out through Grpc.Net.Client and Kestrel, with no routing, worker or engine behind it.
    /// </summary>
    public async Task<TimeSpan> GrpcFloorAsync(CancellationToken cancellationToken)
    {
        var health = new Grpc.Health.V1.Health.HealthClient(_channel);
        var started = Stopwatch.GetTimestamp();
        using var call = health.Watch(new Grpc.Health.V1.HealthCheckRequest(), new CallOptions(cancellationToken: cancellationToken));
        if (!await call.ResponseStream.MoveNext(cancellationToken))
        {
            throw new InvalidOperationException("The gateway's health watch ended without a message");
        }

        return Stopwatch.GetElapsedTime(started);
    }

    public ValueTask DisposeAsync()
    {
        _channel.Dispose();
        return ValueTask.CompletedTask;
    }
}

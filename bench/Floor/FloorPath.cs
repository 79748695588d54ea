using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using SlmCluster.Bench.Cluster;
using SlmCluster.Protocol.V1;
using static SlmCluster.Bench.Cluster.BenchCluster;

namespace SlmCluster.Bench.Floor;

/// <summary>
/// The front door's path with nothing of SlmCluster's on it, in the product's three processes: this one calls
/// <c>GenerateStream</c> with Grpc.Net.Client; a "front" silo serves it with Grpc.AspNetCore on Kestrel (h2c) and
/// answers by enumerating a grain on a "grain" silo over Orleans; the grain hands on the pieces an engine-like
/// thread writes at a fixed pace. No routing, admission, cache, metrics, cost, tracing or dashboard: what Kestrel,
/// gRPC and Orleans cost per relayed piece at the pace the product's engine sets. Both silos are this program
/// started again (<c>--floor-silo</c>), with Orleans' defaults and localhost clustering.
/// </summary>
internal sealed class FloorPath : IAsyncDisposable
{
    public const string SiloArgument = "--floor-silo";

    /// <summary>The request header that sets the pace of a stream's pieces, in milliseconds.</summary>
    public const string IntervalHeader = "floor-interval-ms";

    private readonly ChildProcess _grainSilo;
    private readonly ChildProcess _frontSilo;

    private FloorPath(ChildProcess grainSilo, ChildProcess frontSilo, Uri grpc)
    {
        _grainSilo = grainSilo;
        _frontSilo = frontSilo;
        Grpc = grpc;
    }

    public Uri Grpc { get; }

    public int GrainSiloProcessId => _grainSilo.Id;

    public int FrontSiloProcessId => _frontSilo.Id;

    public static async Task<FloorPath> StartAsync(CancellationToken cancellationToken)
    {
        var primary = FreePort();
        var grpcPort = FreePort();
        var self = typeof(FloorPath).Assembly.Location;
        // The runtime settings of the services (server GC, tiered JIT without dynamic PGO), not the bench's own.
        var environment = new Dictionary<string, string>
        {
            ["DOTNET_gcServer"] = "1",
            ["DOTNET_TieredCompilation"] = "1",
            ["DOTNET_TieredPGO"] = "0",
        };
        var grain = ChildProcess.Start("floor-grain", "dotnet",
            [self, SiloArgument, "grain", Invariant(primary), Invariant(FreePort()), Invariant(primary)], environment);
        var front = ChildProcess.Start("floor-front", "dotnet",
            [self, SiloArgument, "front", Invariant(FreePort()), Invariant(FreePort()), Invariant(primary), Invariant(grpcPort)], environment);
        var path = new FloorPath(grain, front, new Uri($"http://127.0.0.1:{grpcPort}"));
        using var channel = GrpcChannel.ForAddress(path.Grpc);
        var client = new Protocol.V1.Inference.InferenceClient(channel);
        // Serving means the front silo answers and reaches the grain silo: one piece end to end.
        await WaitUntilAsync(front, async () =>
        {
            try
            {
                using var call = client.GenerateStream(new GenerateRequest { MaxTokens = 1 }, cancellationToken: cancellationToken);
                await foreach (var _ in call.ResponseStream.ReadAllAsync(cancellationToken))
                {
                }

                return true;
            }
            catch (RpcException) when (!grain.HasExited)
            {
                return false;
            }
        }, "streamed a piece from the grain silo", cancellationToken);
        return path;
    }

    /// <summary>The child side: <c>--floor-silo grain|front siloPort gatewayPort primaryPort [grpcPort]</c>; runs until SIGTERM.</summary>
    public static async Task<int> RunSiloAsync(string[] args)
    {
        var role = args[1];
        var (siloPort, gatewayPort, primaryPort) = (int.Parse(args[2]), int.Parse(args[3]), int.Parse(args[4]));
        var primary = new IPEndPoint(IPAddress.Loopback, primaryPort);
        void Silo(ISiloBuilder silo)
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort, primary)
                .Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = ("floor", "floor"));
            if (role == "front")
            {
                // This silo only calls: the grain lives on the other one, as the model grain lives on a worker.
                silo.Configure<GrainTypeOptions>(o => o.Classes.Remove(typeof(FloorGrain)));
            }
        }

        if (role == "grain")
        {
            using var host = Host.CreateDefaultBuilder().ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning)).UseOrleans(Silo).Build();
            await host.RunAsync();
            return 0;
        }

        var grpcPort = int.Parse(args[5]);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, grpcPort, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.UseOrleans(Silo);
        await using var app = builder.Build();
        app.MapGrpcService<FloorService>();
        await app.RunAsync();
        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        await _frontSilo.DisposeAsync();
        await _grainSilo.DisposeAsync();
    }

    private sealed class FloorService(IGrainFactory grains) : Protocol.V1.Inference.InferenceBase
    {
        private static int s_next;

        public override async Task GenerateStream(GenerateRequest request, IServerStreamWriter<GenerateChunk> responseStream, ServerCallContext context)
        {
            // A grain per call, as a generation has its own enumeration; all of them on the grain silo.
            var grain = grains.GetGrain<IFloorGrain>(Interlocked.Increment(ref s_next) % 64);
            var count = 0;
            var intervalMs = double.TryParse(context.RequestHeaders.GetValue(IntervalHeader), System.Globalization.CultureInfo.InvariantCulture, out var ms) ? ms : 5;
            await foreach (var piece in grain.Stream(request.MaxTokens, intervalMs, context.CancellationToken))
            {
                await responseStream.WriteAsync(new GenerateChunk { Text = piece });
                count++;
            }

            await responseStream.WriteAsync(new GenerateChunk { FinishReason = FinishReason.Length, Usage = new Usage { CompletionTokens = count } });
        }
    }
}

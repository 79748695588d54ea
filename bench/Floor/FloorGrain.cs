using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Orleans.Concurrency;

namespace SlmCluster.Bench.Floor;

/// <summary>A stream of text pieces produced at a fixed pace, as a model grain's generation would arrive.</summary>
[Alias("bench.IFloorGrain")]
public interface IFloorGrain : IGrainWithIntegerKey
{
    [Alias("Stream")]
    IAsyncEnumerable<string> Stream(int count, double intervalMs, CancellationToken cancellationToken = default);
}

/// <summary>
/// Stands where the model grain stands and does only what the libraries must: <see cref="FloorTicker"/> (the
/// engine's stand-in) writes a piece into each running stream's channel every step, and the grain hands each on to
/// Orleans' stream to the caller's silo.
/// </summary>
[Reentrant]
internal sealed class FloorGrain : Grain, IFloorGrain
{
    public async IAsyncEnumerable<string> Stream(int count, double intervalMs, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        FloorTicker.Shared.Add(channel.Writer, count, intervalMs);
        await foreach (var piece in channel.Reader.ReadAllAsync(cancellationToken))
        {
            yield return piece;
        }
    }
}

/// <summary>
/// One thread, named as the engine's (<c>llama-engine</c>, so CPU accounting counts it as the model's), that at
/// every step writes one piece to every stream running, as a decode step releases one token per sequence.
/// </summary>
internal sealed class FloorTicker
{
    public static readonly FloorTicker Shared = new();

    private readonly Lock _lock = new();
    private readonly List<(ChannelWriter<string> Writer, int Left)> _streams = [];
    private readonly SemaphoreSlim _work = new(0);
    private double _intervalMs = 5;

    private FloorTicker()
    {
        new Thread(Run) { IsBackground = true, Name = "llama-engine" }.Start();
    }

    public void Add(ChannelWriter<string> writer, int count, double intervalMs)
    {
        lock (_lock)
        {
            _intervalMs = intervalMs;
            _streams.Add((writer, count));
        }

        _work.Release();
    }

    private void Run()
    {
        while (true)
        {
            _work.Wait();
            var next = DateTime.UtcNow;
            while (true)
            {
                double interval;
                lock (_lock)
                {
                    if (_streams.Count == 0)
                    {
                        break;
                    }

                    interval = _intervalMs;
                    for (var i = _streams.Count - 1; i >= 0; i--)
                    {
                        var (writer, left) = _streams[i];
                        writer.TryWrite("x");
                        if (left <= 1)
                        {
                            writer.TryComplete();
                            _streams.RemoveAt(i);
                        }
                        else
                        {
                            _streams[i] = (writer, left - 1);
                        }
                    }
                }

                next += TimeSpan.FromMilliseconds(interval);
                var wait = next - DateTime.UtcNow;
                if (wait > TimeSpan.Zero)
                {
                    Thread.Sleep(wait);
                }
            }

            // Drain the releases of streams already served.
            while (_work.Wait(0))
            {
            }
        }
    }
}

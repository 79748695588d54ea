using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace SlmCluster.GrainTests.Infrastructure;

/// <summary>
/// Counts the requests one worker silo ended, by status, as its <c>slm.worker.requests</c> counter reports them
/// (the counter of that silo's meter only: every silo in this process has a meter of the same name).
/// </summary>
public sealed class WorkerRequests : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _byStatus = new();

    public WorkerRequests(WorkerSilo worker)
    {
        var meters = worker.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name == "slm.worker.requests" && ReferenceEquals(instrument.Meter.Scope, meters))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "status" && tag.Value is string status)
                {
                    _byStatus.AddOrUpdate(status, value, (_, total) => total + value);
                }
            }
        });
        _listener.Start();
    }

    public long Count(string status) => _byStatus.GetValueOrDefault(status);

    public override string ToString() => string.Join(", ", _byStatus.Select(p => $"{p.Key}={p.Value}"));

    public void Dispose() => _listener.Dispose();
}

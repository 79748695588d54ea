using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SlmCluster.GrainTests.Infrastructure;

/// <summary>What one silo logged: SlmCluster's own categories from Debug up, everything else from Warning up.</summary>
public sealed class SiloLog : ILoggerProvider
{
    private readonly ConcurrentQueue<Entry> _entries = new();

    public IReadOnlyCollection<Entry> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    /// <summary>One log call, with its structured values (the message template's placeholders).</summary>
    public sealed record Entry(DateTime Time, string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyDictionary<string, object?> Values, Exception? Exception)
    {
        public override string ToString() => $"{Time:HH:mm:ss.fff} {Level} {Category}[{EventId.Id}]: {Message}{(Exception is null ? "" : $" ({Exception.GetType().Name}: {Exception.Message})")}";
    }

    private sealed class Logger(string category, ConcurrentQueue<Entry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IReadOnlyList<KeyValuePair<string, object?>> pairs
                ? pairs.ToDictionary(p => p.Key, p => p.Value)
                : new Dictionary<string, object?>();
            entries.Enqueue(new Entry(DateTime.UtcNow, category, logLevel, eventId, formatter(state, exception), values, exception));
        }
    }
}

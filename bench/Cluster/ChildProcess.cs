using System.Diagnostics;

namespace SlmCluster.Bench.Cluster;

/// <summary>A service the bench started: its output is prefixed with its name, and it is always stopped.</summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private static readonly Lock ConsoleLock = new();
    private readonly Process _process;
    private readonly Queue<string> _recent = new();

    private readonly bool _echo;

    private ChildProcess(string name, Process process, bool echo)
    {
        Name = name;
        _process = process;
        _echo = echo;
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// Whether children's lines go to the console; off while the live start-up table owns the screen
    /// (the lines are kept, and <see cref="RecentLines"/> shows them when a child fails).
    /// </summary>
    public static bool EchoOutput { get; set; } = true;

    /// <summary>The last line the child wrote (the start-up table shows it).</summary>
    public string? LastLine { get; private set; }

    /// <summary>The child's most recent lines, kept whether or not they were echoed.</summary>
    public IReadOnlyList<string> RecentLines
    {
        get
        {
            lock (_recent)
            {
                return _recent.ToArray();
            }
        }
    }

    /// <param name="echo">Whether its lines go to the console at all; off for a child that logs every request (llama-server),
    /// whose lines are still kept for <see cref="RecentLines"/>.</param>
    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, IDictionary<string, string> environment, bool echo = true)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        // Children watch this pid and exit when the bench is gone, even after a SIGKILL.
        info.Environment[ClusterSettings.Keys.ParentProcessId] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process, echo);
        process.OutputDataReceived += (_, e) => child.Write(e.Data, Console.Out);
        process.ErrorDataReceived += (_, e) => child.Write(e.Data, Console.Error);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Writes a line of a process the bench did not start through this class as a child's line, prefixed with <paramref name="name"/>.</summary>
    public static Action<string> Echo(string name) => line =>
    {
        if (EchoOutput)
        {
            lock (ConsoleLock)
            {
                Console.Out.WriteLine($"[{name}] {line}");
            }
        }
    };

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>SIGTERM, then SIGKILL for the whole tree when it has not exited within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        PosixSignals.Terminate(_process.Id);
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }

    private void Write(string? line, TextWriter writer)
    {
        if (line is null)
        {
            return;
        }

        LastLine = line;
        lock (_recent)
        {
            _recent.Enqueue(line);
            if (_recent.Count > 40)
            {
                _recent.Dequeue();
            }
        }

        if (!EchoOutput || !_echo)
        {
            return;
        }

        lock (ConsoleLock)
        {
            writer.WriteLine($"[{Name}] {line}");
        }
    }
}

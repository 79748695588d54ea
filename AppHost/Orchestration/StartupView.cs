using Spectre.Console;

namespace SlmCluster.AppHost.Orchestration;

/// <summary>
/// Shows the cluster starting: a live table of resources and states in a terminal; one plain line per
/// state change when the output is redirected (logs, CI, the tests that read it).
/// </summary>
internal sealed class StartupView(IReadOnlyList<ResourceStatus> statuses)
{
    public static bool IsInteractive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    public async Task ShowWhileAsync(Task starting)
    {
        if (!IsInteractive)
        {
            await ShowPlainAsync(starting);
            return;
        }

        // The table owns the screen while it is live; children's lines are kept (and shown when one fails).
        ChildProcess.EchoOutput = false;
        try
        {
            await AnsiConsole.Live(Render()).AutoClear(false).StartAsync(async context =>
            {
                while (!starting.IsCompleted)
                {
                    context.UpdateTarget(Render());
                    await Task.WhenAny(starting, Task.Delay(150));
                }

                context.UpdateTarget(Render());
            });
        }
        finally
        {
            ChildProcess.EchoOutput = true;
        }

        await starting;
    }

    private async Task ShowPlainAsync(Task starting)
    {
        var shown = new Dictionary<string, ResourceState>();
        while (true)
        {
            foreach (var status in statuses.Where(s => !shown.TryGetValue(s.Name, out var state) || state != s.State))
            {
                shown[status.Name] = status.State;
                // No pid at the end of these lines: the ready summary's lines are the ones that end with "pid N".
                Console.WriteLine($"[apphost] {status.Name} {status.State.ToString().ToLowerInvariant()} {status.Endpoint} {status.Detail}".TrimEnd());
            }

            if (starting.IsCompleted)
            {
                break;
            }

            await Task.WhenAny(starting, Task.Delay(100));
        }

        await starting;
    }

    private Table Render()
    {
        var table = new Table { Title = new TableTitle("SlmCluster") }.Border(TableBorder.Rounded);
        table.AddColumns("Resource", "Type", "State", "Endpoint", "PID", "Last log line");
        foreach (var status in statuses)
        {
            var color = status.State switch
            {
                ResourceState.Running => "green",
                ResourceState.Failed => "red",
                ResourceState.Skipped => "grey",
                ResourceState.Waiting => "grey",
                _ => "yellow",
            };
            var last = status.Detail.Length > 0 ? status.Detail : Message(status.Process?.LastLine ?? "");
            table.AddRow(
                Markup.Escape(status.Name),
                Markup.Escape(status.Kind),
                $"[{color}]{status.State}[/]",
                Markup.Escape(status.Endpoint),
                status.ProcessId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
                Markup.Escape(last.Length > 48 ? last[..48] + "…" : last));
        }

        return table;
    }

    /// <summary>A service's log line without its time, level and category ("12:00:00.000 info: Category[0] text").</summary>
    private static string Message(string line) =>
        line.IndexOf("] ", StringComparison.Ordinal) is var end and > 0 ? line[(end + 2)..] : line;
}

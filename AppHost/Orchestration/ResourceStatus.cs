namespace SlmCluster.AppHost.Orchestration;

/// <summary>One row of the start-up table: a Redis server or one replica of a project.</summary>
internal sealed class ResourceStatus(string name, string kind)
{
    public string Name { get; } = name;

    public string Kind { get; } = kind;

    public ResourceState State { get; set; } = ResourceState.Waiting;

    public string Endpoint { get; set; } = "";

    public int? ProcessId => Process?.Id;

    /// <summary>The process, once started: the table shows its pid and last line.</summary>
    public ChildProcess? Process { get; set; }

    /// <summary>Why it was skipped or failed, or the device it runs on.</summary>
    public string Detail { get; set; } = "";
}

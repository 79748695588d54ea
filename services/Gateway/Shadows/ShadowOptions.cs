using System.ComponentModel.DataAnnotations;

namespace SlmCluster.Gateway.Shadows;

/// <summary>
/// The "Gateway:Shadow" section: which routes and models send a sample of their answered requests to a reference, to
/// be scored against its answer (<see cref="ShadowComparer"/>). Empty <see cref="Targets"/>: nothing is shadowed.
/// </summary>
public sealed class ShadowOptions
{
    public const string SectionName = "Gateway:Shadow";

    /// <summary>By the id requests name: a cascade route or a model.</summary>
    public Dictionary<string, ShadowTargetOptions> Targets { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Seeds the sampling, so that a run picks the same requests again; unset, each start draws its own.</summary>
    public int? Seed { get; set; }

    /// <summary>Shadows running at once, all targets together; one more is shed.</summary>
    [Range(1, 1024)]
    public int MaxConcurrent { get; set; } = 4;

    /// <summary>
    /// Shed a shadow when the gateway has more than this many requests in flight at workers (the
    /// <c>slm_gateway_outstanding_requests</c> gauge). Unset: when the workers have no free sequence slot left.
    /// </summary>
    [Range(0, 1_000_000)]
    public int? ShedWhenOutstandingOver { get; set; }

    /// <summary>How long a shadow's reference may take (an external reference's own Timeout bounds its call too).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>A cluster embedding model: both answers are embedded with it and their cosine is scored too.</summary>
    public string? EmbeddingModel { get; set; }
}

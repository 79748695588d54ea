using System.ComponentModel.DataAnnotations;

namespace SlmCluster.Worker.Costs;

/// <summary>
/// The "Worker:Cost" section: what this worker's device costs to run. Either the price per hour of the share of the
/// node it occupies (a rented GPU, a VM), or its power draw at an electricity price.
/// </summary>
public sealed class WorkerCostOptions
{
    public const string SectionName = "Worker:Cost";

    /// <summary>USD per hour for this worker's device; when set, <see cref="Watts"/> and <see cref="PricePerKwh"/> are not used.</summary>
    [Range(0, 1_000_000)]
    public double? PricePerHour { get; set; }

    /// <summary>Average power draw of the device in watts (65 W: a desktop CPU under load).</summary>
    [Range(0, 1_000_000)]
    public double Watts { get; set; } = 65;

    /// <summary>Electricity price in USD per kWh.</summary>
    [Range(0, 1_000)]
    public double PricePerKwh { get; set; } = 0.15;

    /// <summary>USD per hour the worker costs while it serves.</summary>
    public double HourlyCost => PricePerHour ?? Watts / 1000 * PricePerKwh;

    /// <summary>What <paramref name="workerSeconds"/> of this worker's time cost.</summary>
    public double CostOf(double workerSeconds) => workerSeconds * HourlyCost / 3600;
}

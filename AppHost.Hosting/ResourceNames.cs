using System.Text.RegularExpressions;

namespace SlmCluster.AppHost.Hosting;

/// <summary>Names that Aspire resources and Kubernetes objects accept, made from names a user chose.</summary>
internal static partial class ResourceNames
{
    /// <summary>
    /// <paramref name="name"/> with each run of characters other than ASCII letters and digits as one '-', none at
    /// either end: Aspire takes only letters, digits and single hyphens, where an adapter's name may hold '.' and '_'.
    /// </summary>
    public static string Part(string name) => NotLetterOrDigit().Replace(name, "-").Trim('-');

    [GeneratedRegex("[^A-Za-z0-9]+")]
    private static partial Regex NotLetterOrDigit();
}

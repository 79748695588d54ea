using System.Text.Json;

namespace SlmCluster.Bench.Cluster;

/// <summary>
/// The environment <c>dotnet run --project AppHost</c> gives the AppHost: its <c>http</c> launch profile's variables and
/// its application URL as <c>ASPNETCORE_URLS</c>, read from <c>AppHost/Properties/launchSettings.json</c> so that the bench
/// follows the checkout's profile, with every loopback URL moved to a free port of its own (a second AppHost on the
/// machine, a developer's or a test's, keeps the profile's ports).
/// </summary>
internal static class LaunchProfile
{
    public const string Name = "http";

    public static Dictionary<string, string> Environment(string launchSettingsPath)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(launchSettingsPath));
        if (!json.RootElement.TryGetProperty("profiles", out var profiles) || !profiles.TryGetProperty(Name, out var profile))
        {
            throw new InvalidOperationException($"{launchSettingsPath} has no '{Name}' launch profile");
        }

        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        if (profile.TryGetProperty("environmentVariables", out var variables))
        {
            foreach (var variable in variables.EnumerateObject())
            {
                environment[variable.Name] = OnFreePort(variable.Value.GetString() ?? "");
            }
        }

        if (profile.TryGetProperty("applicationUrl", out var urls) && urls.GetString() is { Length: > 0 } url)
        {
            environment["ASPNETCORE_URLS"] = string.Join(';', url.Split(';').Select(OnFreePort));
        }

        // dotnet run says which profile it applied.
        environment["DOTNET_LAUNCH_PROFILE"] = Name;
        return environment;
    }

    private static string OnFreePort(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && (uri.IsLoopback || uri.Host == "localhost")
            ? $"{uri.Scheme}://127.0.0.1:{BenchCluster.FreePort()}"
            : value;
}

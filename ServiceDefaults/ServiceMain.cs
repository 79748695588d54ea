using Microsoft.Extensions.Options;

namespace SlmCluster.ServiceDefaults;

/// <summary>
/// Runs a service's whole life and turns a failure to start into a message and an exit code: a missing model file, a
/// missing Redis, an invalid setting. Left unhandled, they would end the process with SIGABRT and a core dump.
/// </summary>
public static class ServiceMain
{
    /// <summary>The exit code of a service that could not start or stopped on an error.</summary>
    public const int FailedExitCode = 1;

    public static int Run(string service, Action run)
    {
        try
        {
            run();
            return 0;
        }
        catch (Exception e)
        {
            // Failures whose message says all there is to know are printed alone; anything else with its stack.
            var known = e is OptionsValidationException or InvalidOperationException or IOException or ArgumentException
                || e.GetType().Name.EndsWith("LoadException", StringComparison.Ordinal);
            Console.Error.WriteLine($"error: {service} stopped: {(known ? e.Message : e.ToString())}");
            return FailedExitCode;
        }
    }
}

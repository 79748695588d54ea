using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SlmCluster.AppHost.Hosting;

/// <summary>
/// Healthy when the local store (redis-server or Garnet) answers AUTH and PING. A server that is not listening yet is
/// tried again every 50 ms for up to 3 s before the check says unhealthy: Aspire waits a second or more before asking
/// again, and everything in the cluster waits for this server.
/// </summary>
internal sealed class RedisPing(int port, string password) : IHealthCheck
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                var stream = client.GetStream();
                // As RESP arrays: Garnet does not take inline commands.
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"*2\r\n$4\r\nAUTH\r\n${password.Length}\r\n{password}\r\n*1\r\n$4\r\nPING\r\n"), cancellationToken);
                using var reader = new StreamReader(stream, Encoding.ASCII);
                var auth = await reader.ReadLineAsync(cancellationToken);
                var ping = await reader.ReadLineAsync(cancellationToken);
                return auth == "+OK" && ping == "+PONG"
                    ? HealthCheckResult.Healthy()
                    : HealthCheckResult.Unhealthy($"the store answered '{auth}' / '{ping}'");
            }
            catch (SocketException e)
            {
                if (Stopwatch.GetElapsedTime(started) > Patience)
                {
                    return HealthCheckResult.Unhealthy($"the store does not answer on port {port}: {e.Message}");
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }
    }
}

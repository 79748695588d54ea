namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>Waits until a gateway answers a completion over HTTP: the cluster behind it serves.</summary>
internal static class GatewayReadiness
{
    /// <param name="stillStarting">Checked before each attempt; throws (an assertion) when waiting is pointless.</param>
    public static async Task WaitServingAsync(int httpPort, CancellationToken cancellationToken, Action? stillStarting = null)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            stillStarting?.Invoke();
            try
            {
                using var response = await http.PostAsync($"http://127.0.0.1:{httpPort}/v1/completions",
                    new StringContent("""{"prompt":"Once upon a time","max_tokens":2}""", System.Text.Encoding.UTF8, "application/json"), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // Not up yet.
            }

            await Task.Delay(200, cancellationToken);
        }
    }
}

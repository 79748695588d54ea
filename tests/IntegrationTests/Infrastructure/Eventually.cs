namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>Waits for what a distributed system promises "soon", failing the test when it does not come in time.</summary>
internal static class Eventually
{
    public static async Task HoldsAsync(Func<Task<bool>> condition, int seconds = 20, int pollMilliseconds = 25)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"condition not met within {seconds} s");
            await Task.Delay(pollMilliseconds);
        }
    }
}

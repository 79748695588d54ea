using SlmCluster.Grpc;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;

namespace SlmCluster.IntegrationTests;

public sealed class WorkerFailureTests
{
    [Fact]
    public async Task A_dead_worker_is_skipped_and_its_requests_go_to_the_live_one()
    {
        var model = TestPaths.Model(ClusterFixture.ModelFile);
        await using var doomed = ServiceProcess.StartWorker("worker-doomed", model);
        await using var survivor = ServiceProcess.StartWorker("worker-survivor", model);
        await Task.WhenAll(doomed.WaitHealthyAsync(), survivor.WaitHealthyAsync());
        await using var gateway = ServiceProcess.StartGateway([doomed.GrpcAddress, survivor.GrpcAddress], "--Gateway:HealthCheckInterval=00:01:00");
        await gateway.WaitHealthyAsync();
        var client = new InferenceClient(gateway.Channel);

        doomed.Kill();
        await doomed.WaitForExitAsync(TimeSpan.FromSeconds(10));

        // The gateway still thinks the doomed worker is healthy (its next probe is a minute away):
        // every request must still succeed, retried on the survivor before any token was sent.
        for (var i = 0; i < 4; i++)
        {
            var response = await client.GenerateAsync(new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 4 },
                new CallOptions(Deadline: DateTime.UtcNow.AddSeconds(20)));
            Assert.Equal("worker-survivor", response.Served.WorkerId);
        }
    }

    [Fact]
    public async Task Worker_with_a_missing_model_file_exits_with_a_message_naming_the_path()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-model-{Guid.NewGuid():N}.gguf");
        await using var worker = ServiceProcess.StartWorker("worker-missing", missing);

        var exitCode = await worker.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, exitCode);
        Assert.Contains(missing, worker.Output);
    }
}

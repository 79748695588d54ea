using Grpc.Core;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;

namespace SlmCluster.IntegrationTests;

public sealed class WorkerFailureTests
{
    [Fact]
    public async Task A_dead_worker_is_skipped_and_its_requests_go_to_the_live_one()
    {
        await using var cluster = await DoomedWorkerCluster.StartAsync();
        var (doomed, client) = (cluster.Doomed, cluster.Client);

        doomed.Kill();
        await doomed.WaitForExitAsync(TimeSpan.FromSeconds(10));

        // The gateway still thinks the doomed worker is healthy (its next probe is a minute away):
        // every request must still succeed, retried on the survivor before any token was sent.
        for (var i = 0; i < 4; i++)
        {
            var response = await client.GenerateAsync(new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 4 },
                new CallOptions(deadline: DateTime.UtcNow.AddSeconds(20)));
            Assert.Equal("worker-survivor", response.Served.WorkerId);
        }
    }

    [Fact]
    public async Task A_worker_that_stops_answering_is_taken_out_and_put_back_when_it_returns()
    {
        var model = TestPaths.Model(ClusterFixture.ModelFile);
        await using var steady = ServiceProcess.StartWorker("worker-steady", model);
        var flakyPort = ServiceProcess.FreePort();
        var flaky = ServiceProcess.StartWorkerOnPort("worker-flaky", model, flakyPort);
        await Task.WhenAll(steady.WaitHealthyAsync(), flaky.WaitHealthyAsync());
        await using var gateway = ServiceProcess.StartGateway([steady.GrpcAddress, flaky.GrpcAddress]);
        await gateway.WaitHealthyAsync();
        var client = new InferenceClient(gateway.Channel);

        await using (flaky)
        {
            flaky.Kill();
            await flaky.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        var list = await WaitForReplicasAsync(client, 1);
        Assert.Equal(1, list.Models[0].Replicas);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("worker-steady", (await GenerateAsync(client)).Served.WorkerId);
        }

        await using var back = ServiceProcess.StartWorkerOnPort("worker-flaky", model, flakyPort);
        await back.WaitHealthyAsync();
        await WaitForReplicasAsync(client, 2);
        var served = new HashSet<string>();
        for (var i = 0; i < 12 && served.Count < 2; i++)
        {
            served.Add((await GenerateAsync(client)).Served.WorkerId);
        }

        Assert.Contains("worker-flaky", served);
    }

    private static Task<GenerateResponse> GenerateAsync(InferenceClient client) =>
        client.GenerateAsync(new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 2 }, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(20))).ResponseAsync;

    private static async Task<ListModelsResponse> WaitForReplicasAsync(InferenceClient client, int replicas)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var list = await client.ListModelsAsync(new ListModelsRequest(), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(5)));
            if (list.Models.Count == 1 && list.Models[0].Replicas == replicas)
            {
                return list;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the gateway did not see {replicas} replicas within 15 s");
            await Task.Delay(100);
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

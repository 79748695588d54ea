using Grpc.Core;
using Grpc.Health.V1;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;
using SlmCluster.Testing;
using HealthClient = Grpc.Health.V1.Health.HealthClient;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests;

public sealed class GatewayWithoutWorkersTests
{
    [Fact]
    public async Task Gateway_with_no_worker_silo_in_its_cluster_is_not_serving_and_gives_unavailable_with_a_message_a_person_can_act_on()
    {
        await using var redis = await LocalRedisServer.StartAsync();
        await using var gateway = ServiceProcess.StartGateway(redis);
        var health = new HealthClient(gateway.Channel);
        await Eventually.HoldsAsync(async () =>
        {
            try
            {
                var h = await health.CheckAsync(new HealthCheckRequest(), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(2)));
                return h.Status == HealthCheckResponse.Types.ServingStatus.NotServing;
            }
            catch (RpcException)
            {
                return false;
            }
        }, seconds: 60);

        var client = new InferenceClient(gateway.Channel);
        var e = await Assert.ThrowsAsync<RpcException>(() => client.GenerateAsync(
            new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 8 }, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10))).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Contains("0 healthy", e.Status.Detail);
        Assert.Contains("start a worker", e.Status.Detail);
    }
}

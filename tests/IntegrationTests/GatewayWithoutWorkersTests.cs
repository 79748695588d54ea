using Grpc.Core;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;
using HealthClient = Grpc.Health.V1.Health.HealthClient;
using SlmCluster.IntegrationTests.Infrastructure;
using Grpc.Health.V1;
using SlmCluster.Protocol.V1;

namespace SlmCluster.IntegrationTests;

public sealed class GatewayWithoutWorkersTests
{
    [Fact]
    public async Task Gateway_whose_workers_do_not_answer_gives_unavailable_with_a_message_a_person_can_act_on()
    {
        var nobody = new Uri($"http://127.0.0.1:{ServiceProcess.FreePort()}");
        await using var gateway = ServiceProcess.StartGateway([nobody]);
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
        });

        var client = new InferenceClient(gateway.Channel);
        var e = await Assert.ThrowsAsync<RpcException>(() => client.GenerateAsync(
            new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 8 }, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10))).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Contains("1 configured, 0 healthy", e.Status.Detail);
    }
}

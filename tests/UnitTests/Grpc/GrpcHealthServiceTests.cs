using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SlmCluster.Grpc;
using SlmCluster.Protocol.Health.V1;
using Xunit;
using ServingStatus = SlmCluster.Protocol.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace SlmCluster.UnitTests.Grpc;

public sealed class GrpcHealthServiceTests : IAsyncLifetime
{
    private volatile HealthStatus _modelStatus = HealthStatus.Healthy;
    private LoopbackGrpcServer? _server;
    private GrpcChannel? _channel;

    private HealthClient Client => new(_channel!);

    public async Task InitializeAsync()
    {
        _server = await LoopbackGrpcServer.StartAsync(
            app =>
            {
                app.MapGrpcUnary(LoopbackTestService.Echo, (request, _) => Task.FromResult(new SlmCluster.Protocol.V1.GenerateResponse()));
                app.MapGrpcHealthService();
            },
            services => services.AddHealthChecks()
                .AddCheck("model", () => new HealthCheckResult(_modelStatus), tags: ["ready"]));
        _channel = _server.CreateChannel();
    }

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData(LoopbackTestService.ServiceName)]
    [InlineData("model")]
    [InlineData("ready")]
    public async Task Healthy_process_is_serving(string service)
    {
        var response = await Client.CheckAsync(new HealthCheckRequest { Service = service });

        Assert.Equal(ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task Degraded_process_is_still_serving()
    {
        _modelStatus = HealthStatus.Degraded;

        var response = await Client.CheckAsync(new HealthCheckRequest());

        Assert.Equal(ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task Unhealthy_process_is_not_serving()
    {
        _modelStatus = HealthStatus.Unhealthy;

        var response = await Client.CheckAsync(new HealthCheckRequest());

        Assert.Equal(ServingStatus.NotServing, response.Status);
    }

    [Fact]
    public async Task Unknown_service_is_not_found()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Client.CheckAsync(new HealthCheckRequest { Service = "slm.v1.Nope" }));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }
}

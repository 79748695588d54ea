using System.Security.Claims;
using System.Text.Json;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Configuration;
using SlmCluster.Gateway.Security;
using SlmCluster.Protocol.V1;

namespace SlmCluster.UnitTests.Gateway.Security;

/// <summary>The gateway's authentication and rate limiting as the gateway registers them, and requests to them.</summary>
internal static class GatewaySecurityHost
{
    private static readonly Marshaller<GenerateRequest> RequestMarshaller = Marshallers.Create(_ => [], _ => new GenerateRequest());
    private static readonly Marshaller<GenerateResponse> ResponseMarshaller = Marshallers.Create(_ => [], _ => new GenerateResponse());

    public static ServiceProvider Build(GatewayOptions options, TimeProvider? time = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(Options.Create(options));
        services.AddSingleton(time ?? TimeProvider.System);
        services.AddGatewaySecurity();
        return services.BuildServiceProvider();
    }

    /// <summary>A request to an OpenAI endpoint (or, <paramref name="grpc"/>, to <c>slm.v1.Inference/Generate</c>) under the tenants' limits.</summary>
    public static DefaultHttpContext Request(IServiceProvider services, string? authorization = null, bool grpc = false, string? tenant = null)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        context.Response.Body = new MemoryStream();
        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }

        if (tenant is not null)
        {
            context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ApiKeyAuthenticationHandler.TenantClaim, tenant)], ApiKeyAuthenticationHandler.SchemeName));
        }

        var limited = new EnableRateLimitingAttribute(TenantRateLimitPolicy.Name);
        context.SetEndpoint(grpc
            ? new Endpoint(null, new EndpointMetadataCollection(limited, new GrpcMethodMetadata(typeof(SlmCluster.Protocol.V1.Inference.InferenceBase),
                new Method<GenerateRequest, GenerateResponse>(MethodType.Unary, "slm.v1.Inference", "Generate", RequestMarshaller, ResponseMarshaller))), "gRPC Generate")
            : new Endpoint(null, new EndpointMetadataCollection(limited), "HTTP POST /v1/completions"));
        return context;
    }

    /// <summary>The OpenAI error object of a response written to <see cref="Request"/>'s context.</summary>
    public static JsonElement ErrorOf(HttpContext context)
    {
        context.Response.Body.Position = 0;
        return JsonDocument.Parse(context.Response.Body).RootElement.GetProperty("error");
    }
}

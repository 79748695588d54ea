using Grpc.Core;
using Grpc.Core.Interceptors;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Security;

/// <summary>
/// The gRPC side of <see cref="RequestAdmission"/>, for every method of the inference service: the caller's API key
/// names its tenant (UNAUTHENTICATED otherwise); a generation must pass the tenant's rate limits before it runs
/// (RESOURCE_EXHAUSTED with a <c>retry-after</c> trailer) and is charged with the tokens it used afterwards.
/// Listing models is authenticated only.
/// </summary>
public sealed class AdmissionInterceptor(RequestAdmission admission) : Interceptor
{
    private const string AuthorizationHeader = "authorization";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var tenant = admission.Authenticate(context.RequestHeaders.GetValue(AuthorizationHeader));
        if (request is not GenerateRequest)
        {
            return await continuation(request, context);
        }

        admission.AdmitGeneration(tenant);
        TResponse? response = default;
        try
        {
            response = await continuation(request, context);
            return response;
        }
        finally
        {
            admission.Charge(tenant, (response as GenerateResponse)?.Usage, chunksSent: 0);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var tenant = admission.Authenticate(context.RequestHeaders.GetValue(AuthorizationHeader));
        if (responseStream is not IServerStreamWriter<GenerateChunk> chunks)
        {
            await continuation(request, responseStream, context);
            return;
        }

        admission.AdmitGeneration(tenant);
        var metered = new MeteredChunkWriter(chunks);
        try
        {
            await continuation(request, (IServerStreamWriter<TResponse>)(object)metered, context);
        }
        finally
        {
            admission.Charge(tenant, metered.Usage, metered.Chunks);
        }
    }
}

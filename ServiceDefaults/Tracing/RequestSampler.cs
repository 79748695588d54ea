using OpenTelemetry.Trace;

namespace SlmCluster.ServiceDefaults.Tracing;

/// <summary>
/// Records SlmCluster's spans and the ASP.NET Core request spans that continue a caller's trace; drops request spans
/// that start a trace of their own (health probes, metric scrapes), which would only be noise.
/// </summary>
internal sealed class RequestSampler : Sampler
{
    private const string AspNetCoreRequest = "Microsoft.AspNetCore.Hosting.HttpRequestIn";

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        samplingParameters.Name == AspNetCoreRequest && samplingParameters.ParentContext.TraceId == default
            ? new SamplingResult(SamplingDecision.Drop)
            : new SamplingResult(SamplingDecision.RecordAndSample);
}

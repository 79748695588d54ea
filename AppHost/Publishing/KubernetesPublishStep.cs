namespace SlmCluster.AppHost.Publishing;

internal static class KubernetesPublishStep
{
    public static Task RunAsync(Aspire.Hosting.Pipelines.PipelineStepContext context, SlmCluster.AppHost.Hosting.ClusterOptions options) =>
        throw new NotImplementedException("pending merge of the KubernetesClient writer");
}

using SlmCluster.Gateway.Serving;

namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>An Ollama generation request as the handler serves it.</summary>
/// <param name="Name">The model as the client named it, echoed in every chunk as Ollama does.</param>
/// <param name="Request">What the pipeline serves; null for a request with nothing to generate, which only loads the model.</param>
/// <param name="ModelId">The model id it names, for a request that only loads it.</param>
/// <param name="NumCtx">The context the client asked for (<c>options.num_ctx</c>), held against the model's.</param>
internal sealed record OllamaMappedRequest(string Name, ServingRequest? Request, string ModelId, bool Stream, int? NumCtx);

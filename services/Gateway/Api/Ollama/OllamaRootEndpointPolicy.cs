using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Net.Http.Headers;

namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>
/// <c>/</c> is both the dashboard's page and Ollama's "is it running" check. A browser asks for HTML and gets the page;
/// an Ollama client (which sends no HTML <c>Accept</c>) gets "Ollama is running". Routing picks between the two
/// endpoints here, so neither knows of the other.
/// </summary>
internal sealed class OllamaRootEndpointPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    public override int Order => 0;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) =>
        endpoints.Any(e => e.Metadata.GetMetadata<OllamaRootMetadata>() is not null);

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var browser = AcceptsHtml(httpContext.Request);
        var other = false;
        for (var i = 0; i < candidates.Count; i++)
        {
            other |= candidates.IsValidCandidate(i) && candidates[i].Endpoint.Metadata.GetMetadata<OllamaRootMetadata>() is null;
        }

        for (var i = 0; i < candidates.Count; i++)
        {
            if (!candidates.IsValidCandidate(i))
            {
                continue;
            }

            var ollama = candidates[i].Endpoint.Metadata.GetMetadata<OllamaRootMetadata>() is not null;
            // A browser gets the page when there is one; anyone else gets Ollama's answer.
            if (ollama ? browser && other : !browser)
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }

    private static bool AcceptsHtml(HttpRequest request) =>
        MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted)
        && accepted.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));
}

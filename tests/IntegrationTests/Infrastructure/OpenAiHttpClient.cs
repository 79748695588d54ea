using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>
/// The OpenAI API as a plain HTTP client sees it: JSON bodies in, status + JSON or server-sent events out.
/// Deliberately independent of the gateway's own types, so the tests check the wire format itself.
/// </summary>
internal sealed class OpenAiHttpClient : IDisposable
{
    private readonly HttpClient _http;

    public OpenAiHttpClient(Uri baseAddress, string? apiKey = null)
    {
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (apiKey is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
    }

    public HttpClient Http => _http;

    public Task<OpenAiResponse> PostAsync(string path, string json, CancellationToken cancellationToken = default) =>
        PostAsync(path, Encoding.UTF8.GetBytes(json), cancellationToken);

    public async Task<OpenAiResponse> PostAsync(string path, byte[] body, CancellationToken cancellationToken = default)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await _http.PostAsync(path, content, cancellationToken);
        return await OpenAiResponse.ReadAsync(response, cancellationToken);
    }

    public async Task<OpenAiResponse> GetAsync(string path, CancellationToken cancellationToken = default)
    {
        using var response = await _http.GetAsync(path, cancellationToken);
        return await OpenAiResponse.ReadAsync(response, cancellationToken);
    }

    /// <summary>Posts a streaming request and returns the response as soon as its headers arrived.</summary>
    public async Task<HttpResponseMessage> PostStreamingAsync(string path, string json, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    /// <summary>Posts a streaming request and reads every server-sent event to the end of the response.</summary>
    public async Task<(HttpResponseMessage Response, List<ServerSentEvent> Events)> StreamAsync(string path, string json)
    {
        var response = await PostStreamingAsync(path, json);
        var events = new List<ServerSentEvent>();
        await using var body = await response.Content.ReadAsStreamAsync();
        await foreach (var e in ServerSentEvent.ReadAllAsync(body))
        {
            events.Add(e);
        }

        return (response, events);
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>A whole (non-streamed) answer: status, headers, and the body parsed as JSON when it is JSON.</summary>
internal sealed record OpenAiResponse(HttpStatusCode Status, HttpResponseHeaders Headers, string? ContentType, string Text)
{
    public JsonElement Json => JsonDocument.Parse(Text).RootElement;

    /// <summary>The OpenAI error object, asserting the body has exactly the documented shape.</summary>
    public JsonElement Error
    {
        get
        {
            var error = Json.GetProperty("error");
            Assert.Equal(JsonValueKind.String, error.GetProperty("message").ValueKind);
            Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
            Assert.True(error.TryGetProperty("param", out _), "error.param is missing");
            Assert.True(error.TryGetProperty("code", out _), "error.code is missing");
            return error;
        }
    }

    public static async Task<OpenAiResponse> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken) =>
        new(response.StatusCode, response.Headers, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync(cancellationToken));
}

/// <summary>One server-sent event as the SSE specification parses it: its <c>event:</c> name and joined <c>data:</c> lines.</summary>
internal sealed record ServerSentEvent(string? Event, string Data)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement;

    public static async IAsyncEnumerable<ServerSentEvent> ReadAllAsync(Stream body)
    {
        using var reader = new StreamReader(body, Encoding.UTF8);
        string? name = null;
        var data = new List<string>();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Count > 0)
                {
                    yield return new ServerSentEvent(name, string.Join('\n', data));
                }

                name = null;
                data.Clear();
                continue;
            }

            if (line.StartsWith(':'))
            {
                continue;
            }

            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }

            if (field == "data")
            {
                data.Add(value);
            }
            else if (field == "event")
            {
                name = value;
            }
        }

        // An event is only dispatched at its blank line; one cut off at the end of the stream is incomplete.
        Assert.True(data.Count == 0, $"the stream ended inside an event: {string.Join('\n', data)}");
    }
}

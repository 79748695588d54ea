using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.StructuredOutputTests;
using SlmCluster.Testing;
using Xunit.Abstractions;

namespace SlmCluster.IntegrationTests;

/// <summary>
/// A thousand random and malformed JSON Schemas and GBNF grammars through the OpenAI API to running workers: each is
/// answered (200) or refused (400, saying why), and the workers are alive and serving after them all.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class StructuredOutputFuzzTests(ClusterFixture cluster, ITestOutputHelper output) : IDisposable
{
    private readonly OpenAiHttpClient _http = new(cluster.Gateway.HttpAddress);

    public void Dispose() => _http.Dispose();

    [Fact]
    public async Task A_thousand_random_and_malformed_schemas_and_grammars_are_answered_or_refused_and_the_workers_keep_serving()
    {
        var schemas = new RandomSchemas(seed: 30);
        var grammars = new RandomGrammars(seed: 30);
        int answered = 0, refused = 0;
        var unexpected = new List<string>();
        for (int i = 0; i < 1000; i++)
        {
            // Half schemas (as llama-server's json_schema or OpenAI's response_format), half raw GBNF.
            var body = new JsonObject { ["prompt"] = "Once upon a time", ["max_tokens"] = 4, ["temperature"] = 0 };
            string sent;
            if (i % 2 == 0)
            {
                sent = schemas.Next();
                JsonNode? schema;
                try
                {
                    schema = JsonNode.Parse(sent);
                }
                catch (JsonException)
                {
                    // Text that is not JSON cannot be a field's value: send it as a string, which the API refuses.
                    schema = JsonValue.Create(sent);
                }

                body["json_schema"] = schema;
            }
            else
            {
                sent = grammars.Next();
                body["grammar"] = sent;
            }

            var response = await _http.PostAsync("/v1/completions", body.ToJsonString());
            switch (response.Status)
            {
                case HttpStatusCode.OK:
                    answered++;
                    break;
                case HttpStatusCode.BadRequest when response.Error.GetProperty("message").GetString() is { Length: > 0 }:
                    refused++;
                    break;
                default:
                    unexpected.Add($"#{i}: {(int)response.Status} {response.Text}\n{sent}");
                    break;
            }
        }

        output.WriteLine($"{answered} answered, {refused} refused");
        Assert.Empty(unexpected);
        Assert.True(answered > 50 && refused > 50, $"{answered} answered, {refused} refused: the fuzz should exercise both");
        Assert.False(cluster.Worker0.HasExited || cluster.Worker1.HasExited, "a worker died");
        for (int i = 0; i < 4; i++)
        {
            var after = await _http.PostAsync("/v1/completions", """{"prompt":"Once upon a time","max_tokens":8,"grammar":"root ::= \"ok\""}""");
            Assert.Equal(HttpStatusCode.OK, after.Status);
            Assert.Equal("ok", after.Json.GetProperty("choices")[0].GetProperty("text").GetString());
        }
    }
}

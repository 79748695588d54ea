using System.Globalization;
using System.Text.Json.Nodes;
using Grpc.Core;
using SlmCluster.Gateway.Api.OpenAi;
using SlmCluster.Gateway.Serving;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>
/// <c>GET /</c>, <c>/api/version</c>, <c>/api/tags</c>, <c>/api/ps</c> and <c>POST /api/show</c>: the models healthy
/// workers serve now and the cascade routes, named as Ollama clients name them (<c>name:latest</c>).
/// </summary>
public sealed class OllamaModelsHandler(ModelCatalog catalog, TimeProvider time)
{
    /// <summary>The Ollama release whose API this front door follows, for clients that check it.</summary>
    public const string ApiVersion = "0.12.0";

    /// <summary>What <c>ollama</c>'s own server answers at <c>/</c>; clients check for it.</summary>
    public const string RunningText = "Ollama is running";

    /// <summary>Every model a worker serves stays loaded for the worker's lifetime; <c>/api/ps</c> says so with a far expiry.</summary>
    private static readonly DateTimeOffset NeverExpires = new(9999, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // Models carry no modification time; the gateway's start is as honest as any.
    private readonly DateTimeOffset _started = time.GetUtcNow();

    public Task HandleRootAsync(HttpContext context)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.WriteAsync(RunningText, context.RequestAborted);
    }

    public Task HandleVersionAsync(HttpContext context) =>
        context.Response.WriteAsJsonAsync(new OllamaVersion { Version = ApiVersion }, OllamaJsonContext.Api.OllamaVersion, cancellationToken: context.RequestAborted);

    public Task HandleTagsAsync(HttpContext context) =>
        context.Response.WriteAsJsonAsync(new OllamaModelList { Models = [.. catalog.List().Select(m => Entry(m, running: false))] },
            OllamaJsonContext.Api.OllamaModelList, cancellationToken: context.RequestAborted);

    public Task HandlePsAsync(HttpContext context) =>
        context.Response.WriteAsJsonAsync(new OllamaModelList { Models = [.. catalog.List().Select(m => Entry(m, running: true))] },
            OllamaJsonContext.Api.OllamaModelList, cancellationToken: context.RequestAborted);

    public async Task HandleShowAsync(HttpContext context)
    {
        OllamaShowRequest body;
        try
        {
            body = await OpenAiRequestBody.ReadAsync(context.Request, OllamaJsonContext.Api.OllamaShowRequest, cancellationToken: context.RequestAborted);
        }
        catch (InvalidOpenAiRequestException e)
        {
            await OllamaProblem.From(e).WriteAsync(context.Response);
            return;
        }

        var name = body.Model is { Length: > 0 } model ? model : body.Name ?? "";
        if (name.Length == 0)
        {
            await new OllamaProblem(StatusCodes.Status400BadRequest, "'model' is required: the name of a model that /api/tags lists.").WriteAsync(context.Response);
            return;
        }

        var id = OllamaModelNames.ToModelId(name);
        if (catalog.List().FirstOrDefault(m => m.Id == id) is not { } info)
        {
            await OllamaProblem.From(new RpcException(new Status(StatusCode.NotFound,
                $"Model '{name}' is not served here. Models are declared in the AppHost; /api/tags lists those served now."))).WriteAsync(context.Response);
            return;
        }

        var architecture = info.Architecture is { Length: > 0 } arch ? arch : "unknown";
        await context.Response.WriteAsJsonAsync(new OllamaShowResponse
        {
            Modelfile = $"# '{info.Id}' is declared in the cluster's AppHost; this gateway has no Modelfile.\n",
            Details = Details(info),
            ModelInfo = new JsonObject
            {
                ["general.architecture"] = architecture,
                ["general.parameter_count"] = info.Parameters,
                [architecture + ".context_length"] = info.ContextLength,
            },
            // Every chat model here can call tools: the grammar writes the calls (in its template's format, else JSON).
            Capabilities = ["completion", "tools"],
            ModifiedAt = _started,
        }, OllamaJsonContext.Api.OllamaShowResponse, cancellationToken: context.RequestAborted);
    }

    private OllamaModel Entry(ModelInfo info, bool running) => new()
    {
        Name = OllamaModelNames.ToName(info.Id),
        Model = OllamaModelNames.ToName(info.Id),
        ModifiedAt = _started,
        Size = info.SizeBytes,
        Digest = info.FileSha256,
        Details = Details(info),
        ExpiresAt = running ? NeverExpires : null,
        SizeVram = running ? 0 : null,
        ContextLength = running ? info.ContextLength : null,
    };

    private static OllamaModelDetails Details(ModelInfo info) => new()
    {
        Family = info.Architecture,
        Families = info.Architecture.Length > 0 ? [info.Architecture] : [],
        ParameterSize = ParameterSize(info.Parameters),
    };

    /// <summary>Ollama's short form of a parameter count: <c>260K</c>, <c>135M</c>, <c>1.5B</c>.</summary>
    internal static string ParameterSize(ulong parameters) => parameters switch
    {
        0 => "",
        >= 1_000_000_000 => Short(parameters / 1e9, "B"),
        >= 1_000_000 => Short(parameters / 1e6, "M"),
        >= 1_000 => Short(parameters / 1e3, "K"),
        _ => parameters.ToString(CultureInfo.InvariantCulture),
    };

    private static string Short(double value, string unit) => value.ToString(value < 10 ? "0.#" : "0", CultureInfo.InvariantCulture) + unit;
}

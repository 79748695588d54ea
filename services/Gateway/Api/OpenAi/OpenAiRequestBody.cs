using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.Unicode;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>Reads an OpenAI request body: within Kestrel's size limit, valid UTF-8, a JSON object of the endpoint's shape.</summary>
internal static class OpenAiRequestBody
{
    public static async Task<T> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        byte[] body;
        try
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, cancellationToken);
            body = buffer.ToArray();
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new InvalidOpenAiRequestException(
                $"The request body is larger than this gateway accepts ({request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize} bytes).",
                status: StatusCodes.Status413PayloadTooLarge, code: "request_too_large");
        }

        return Parse(body, type);
    }

    /// <summary>Parses a whole body; every way it can be wrong is an <see cref="InvalidOpenAiRequestException"/>.</summary>
    public static T Parse<T>(ReadOnlySpan<byte> body, JsonTypeInfo<T> type)
        where T : class
    {
        if (body.IsEmpty)
        {
            throw new InvalidOpenAiRequestException("The request body is empty; send a JSON object.");
        }

        if (FirstInvalidUtf8(body) is { } offset)
        {
            throw new InvalidOpenAiRequestException($"The request body is not valid UTF-8: invalid byte 0x{body[offset]:X2} at offset {offset}.", code: "invalid_utf8");
        }

        T? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(body, type);
        }
        catch (JsonException e)
        {
            var param = e.Path is { Length: > 2 } path ? path[2..] : null;
            var message = (e.InnerException, param) switch
            {
                // An escaped lone surrogate ("\ud800") is valid JSON syntax but no text; the reader says so only in words.
                (InvalidOperationException invalid, not null) when invalid.Message.Contains("UTF-16", StringComparison.Ordinal)
                    => $"'{param}' is not valid text: {invalid.Message}",
                (_, not null) when e.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal) => $"'{param}' has the wrong type{Where(e)}.",
                _ => $"The request body is not valid JSON: {e.Message}",
            };
            throw new InvalidOpenAiRequestException(message, param);
        }

        return parsed ?? throw new InvalidOpenAiRequestException("The request body is null; send a JSON object.");
    }

    private static int? FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes))
        {
            return null;
        }

        var offset = 0;
        while (offset < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed) != OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return null;
    }

    private static string Where(JsonException e) =>
        e.LineNumber is { } line && e.BytePositionInLine is { } column ? $" (line {line + 1}, byte {column + 1})" : "";
}

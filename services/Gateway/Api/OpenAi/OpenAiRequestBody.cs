using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.Unicode;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>Reads an OpenAI request body: within Kestrel's size limit, valid UTF-8, a JSON object of the endpoint's shape.</summary>
internal static class OpenAiRequestBody
{
    /// <summary>
    /// How much of a body over the limit is read and thrown away before the 413 is sent: a client still sending its body
    /// when the server answers and closes gets a broken pipe instead of the answer (HTTP/1.1 clients rarely wait for
    /// <c>100 Continue</c>), so the rest of a body up to this many times the limit is consumed first. Larger ones are
    /// refused at once and the connection closed.
    /// </summary>
    internal const int DrainFactor = 8;

    public static async Task<T> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        var sizeFeature = request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>();
        var limit = sizeFeature?.MaxRequestBodySize;
        if (limit is { } max && sizeFeature is { IsReadOnly: false })
        {
            if (request.ContentLength > max * DrainFactor)
            {
                request.HttpContext.Response.Headers.Connection = "close";
                throw TooLarge(max);
            }

            // Kestrel stops the body at the drain limit; the limit itself is kept here, so that an oversize body can be
            // consumed before the answer.
            sizeFeature.MaxRequestBodySize = max * DrainFactor;
        }

        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            long total = 0;
            int read;
            while ((read = await ReadChunkAsync(request, chunk, limit, cancellationToken)) > 0)
            {
                total += read;
                if (total <= limit || limit is null)
                {
                    buffer.Write(chunk, 0, read);
                }
            }

            if (total > limit)
            {
                throw TooLarge(limit);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), type);
    }

    private static async Task<int> ReadChunkAsync(HttpRequest request, byte[] chunk, long? limit, CancellationToken cancellationToken)
    {
        try
        {
            return await request.Body.ReadAsync(chunk, cancellationToken);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Past Kestrel's limit (the drain limit, or the limit itself where it could not be raised): refused, and
            // Kestrel closes the connection.
            request.HttpContext.Response.Headers.Connection = "close";
            throw TooLarge(limit);
        }
    }

    private static InvalidOpenAiRequestException TooLarge(long? limit) => new(
        $"The request body is larger than this gateway accepts ({limit} bytes).",
        status: StatusCodes.Status413PayloadTooLarge, code: "request_too_large");

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

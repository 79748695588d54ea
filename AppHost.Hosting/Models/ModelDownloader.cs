using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace SlmCluster.AppHost.Hosting.Models;

/// <summary>
/// Downloads a model into the models folder: into <c>&lt;file&gt;.part</c>, resumed with an HTTP Range
/// request when a transfer breaks (now or in an earlier run), checked against its SHA-256, and only
/// then renamed to its final name, so a half-written or wrong file is never there to be loaded.
/// </summary>
internal sealed class ModelDownloader(HttpClient http, IProgress<DownloadProgress>? progress = null)
{
    /// <summary>Transfers that may break before the download gives up (each resumes where the last stopped).</summary>
    public int MaxAttempts { get; init; } = 4;

    public async Task<string> DownloadAsync(ModelReference model, string? baseUrl, string modelsDirectory, CancellationToken cancellationToken)
    {
        if (model.Sha256 is null)
        {
            throw new ModelSupplyException(
                $"'{model.Source}' is downloaded, so its SHA-256 is needed to trust it: pass --model-sha256 <64 hex digits> " +
                "(the hub shows it on the file's page).");
        }

        var uri = model.DownloadUri(baseUrl);
        Directory.CreateDirectory(modelsDirectory);
        var final = Path.Combine(modelsDirectory, model.FileName);
        var part = final + ".part";
        for (var attempt = 1; ; attempt++)
        {
            Exception? broke = null;
            try
            {
                if (await TransferAsync(uri, part, model.FileName, cancellationToken))
                {
                    break;
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
            {
                broke = e;
            }

            if (attempt >= MaxAttempts)
            {
                throw new ModelSupplyException(
                    $"Downloading {uri} broke off {attempt} times ({broke?.Message ?? "the body ended early"}); the part downloaded " +
                    $"so far is kept in {part} and the next start resumes from it.", broke);
            }
        }

        var actual = await HashAsync(part, cancellationToken);
        if (actual != model.Sha256)
        {
            File.Delete(part);
            throw new ModelSupplyException(
                $"Refusing {uri}: its SHA-256 is {actual}, but {model.Sha256} was expected. The download was deleted. " +
                "Check the reference and the --model-sha256 value (the hub shows the file's SHA-256 on its page).");
        }

        File.Move(part, final, overwrite: true);
        return final;
    }

    public static async Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }

    /// <summary>One transfer into <paramref name="part"/>; true when it is complete, false when it broke off.</summary>
    private async Task<bool> TransferAsync(Uri uri, string part, string fileName, CancellationToken cancellationToken)
    {
        var have = File.Exists(part) ? new FileInfo(part).Length : 0;
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (have > 0)
        {
            request.Headers.Range = new RangeHeaderValue(have, null);
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
        {
            // The part already holds the whole file; the checksum decides whether it is the right one.
            return true;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new ModelSupplyException(response.StatusCode == HttpStatusCode.NotFound
                ? $"{uri} does not exist (404): check the owner, repository and file name of the reference."
                : $"Downloading {uri} failed: {(int)response.StatusCode} {response.ReasonPhrase}.");
        }

        // A server that ignores Range sends the whole file again: start the part over.
        var resumed = response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.From == have;
        if (!resumed)
        {
            have = 0;
        }

        long? total = response.Content.Headers.ContentLength is { } length ? have + length : null;
        await using (var file = new FileStream(part, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true))
        await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken))
        {
            var buffer = new byte[1 << 16];
            var received = have;
            var reported = 0L;
            progress?.Report(new DownloadProgress(fileName, received, total));
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                received += read;
                if (received - reported >= 1 << 20)
                {
                    reported = received;
                    progress?.Report(new DownloadProgress(fileName, received, total));
                }
            }

            progress?.Report(new DownloadProgress(fileName, received, total));
            return total is null || received == total;
        }
    }
}

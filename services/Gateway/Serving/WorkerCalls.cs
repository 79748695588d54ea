using Google.Protobuf;
using Grpc.Core;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using SlmCluster.Contracts;
using SlmCluster.Gateway.Api;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Serving;

/// <summary>Translates between the public wire contract and the worker grain's, failures included.</summary>
internal static class WorkerCalls
{
    public static GenerateChunk ToChunk(GenerationPiece piece)
    {
        var chunk = new GenerateChunk { Text = piece.Text };
        if (piece.Logprobs is { Count: > 0 } logprobs)
        {
            AddLogprobs(chunk.Logprobs, logprobs);
        }

        if (piece.Summary is { } summary)
        {
            chunk.FinishReason = summary.FinishReason switch
            {
                PieceFinishReason.Stop => FinishReason.Stop,
                PieceFinishReason.Length => FinishReason.Length,
                PieceFinishReason.Cancelled => FinishReason.Cancelled,
                _ => FinishReason.Unspecified,
            };
            chunk.Usage = new Usage
            {
                PromptTokens = summary.PromptTokens,
                CompletionTokens = summary.CompletionTokens,
                ReusedPromptTokens = summary.ReusedPromptTokens,
            };
            chunk.Served = new Served
            {
                WorkerId = summary.WorkerId,
                Model = summary.Model,
                TimeToFirstTokenMs = summary.TimeToFirstTokenMs,
                TotalMs = summary.TotalMs,
                CostUsd = summary.CostUsd,
            };
        }

        return chunk;
    }

    /// <summary>
    /// Appends the worker's entries in wire form. The byte arrays arrived deserialized, owned by this call and never
    /// changed, so the messages wrap them instead of copying.
    /// </summary>
    public static void AddLogprobs(Google.Protobuf.Collections.RepeatedField<Protocol.V1.TokenLogprob> target, IReadOnlyList<Contracts.TokenLogprob> entries)
    {
        foreach (var entry in entries)
        {
            var wire = new Protocol.V1.TokenLogprob
            {
                Token = entry.Token,
                Bytes = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(entry.Bytes),
                Logprob = entry.Logprob,
            };
            foreach (var top in entry.Top)
            {
                wire.TopLogprobs.Add(new Protocol.V1.TopLogprob
                {
                    Token = top.Token,
                    Bytes = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(top.Bytes),
                    Logprob = top.Logprob,
                });
            }

            target.Add(wire);
        }
    }

    /// <summary>
    /// The worker's silo is gone or cannot be reached (it died, was killed, or left): Orleans' own failures of a call,
    /// not a refusal by the worker.
    /// </summary>
    public static bool IsWorkerLost(Exception e) => e is SiloUnavailableException
        or OrleansMessageRejectionException
        or EnumerationAbortedException
        or TimeoutException
        or ConnectionFailedException;

    /// <summary>Whether another worker may succeed where this one failed before sending anything.</summary>
    public static bool IsRetryable(Exception e) =>
        IsWorkerLost(e) || e is ModelWorkerException { Kind: WorkerErrorKind.Unavailable or WorkerErrorKind.ResourceExhausted };

    /// <summary>A worker's failure as the gRPC status the caller sees.</summary>
    public static RpcException ToRpcException(Exception e, string workerId)
    {
        if (e is ModelWorkerException refused)
        {
            var code = refused.Kind switch
            {
                WorkerErrorKind.InvalidArgument => StatusCode.InvalidArgument,
                WorkerErrorKind.NotFound => StatusCode.NotFound,
                WorkerErrorKind.ResourceExhausted => StatusCode.ResourceExhausted,
                WorkerErrorKind.Unavailable => StatusCode.Unavailable,
                _ => StatusCode.Internal,
            };
            var trailers = refused.RetryAfterSeconds is { } seconds
                ? new Metadata { { RetryAfterMetadata.Key, Math.Max(1, (int)Math.Ceiling(seconds)).ToString(System.Globalization.CultureInfo.InvariantCulture) } }
                : new Metadata();
            return new RpcException(new Status(code, refused.Message), trailers);
        }

        if (e is RpcException rpc)
        {
            return rpc;
        }

        return IsWorkerLost(e)
            ? new RpcException(new Status(StatusCode.Unavailable, $"Worker {workerId} is unavailable: {e.Message}"))
            : new RpcException(new Status(StatusCode.Internal, $"Worker {workerId} failed: {e.Message}"));
    }
}

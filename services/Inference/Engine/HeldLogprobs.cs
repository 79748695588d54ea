namespace SlmCluster.Inference;

/// <summary>
/// Keeps a request's token logprobs in step with its text. The engine holds text back (the bytes of an unfinished
/// UTF-8 character, and text that may be the start of a stop string), so a token's entry waits until all of its text
/// has been released and then leaves with the update that releases it. Positions count characters of the decoded
/// text: a token's text starts where the decoded text stood when the token came and ends once its bytes are
/// decoded. Touched only by the engine thread; one per slot, reused across requests.
/// </summary>
internal sealed class HeldLogprobs
{
    private readonly List<Entry> _pending = [];
    private long _decoded;
    private long _released;

    /// <summary>Forgets everything: a new request starts.</summary>
    public void Reset()
    {
        _pending.Clear();
        _decoded = 0;
        _released = 0;
    }

    /// <summary>A token was generated; call before its bytes are decoded.</summary>
    public void Add(GeneratedToken token) => _pending.Add(new Entry(token, _decoded, -1));

    /// <summary>
    /// The decoder turned bytes into <paramref name="chars"/> characters. <paramref name="complete"/>: it holds no
    /// bytes of an unfinished character, so every token added so far has all of its text decoded.
    /// </summary>
    public void Decoded(int chars, bool complete)
    {
        _decoded += chars;
        if (complete)
        {
            ResolveEnds();
        }
    }

    /// <summary>
    /// <paramref name="chars"/> more characters were released to the caller: the entries whose text is now wholly out,
    /// in order, or null when none is. Entries wait for a release with text, so every update but the last that
    /// carries entries carries text too.
    /// </summary>
    public GeneratedToken[]? Release(int chars)
    {
        if (chars == 0)
        {
            return null;
        }
        _released += chars;
        int count = 0;
        while (count < _pending.Count && _pending[count].End >= 0 && _pending[count].End <= _released)
        {
            count++;
        }
        return count == 0 ? null : Take(count);
    }

    /// <summary>
    /// The request ends with <paramref name="chars"/> more characters released (after any flush of the decoder was
    /// reported through <see cref="Decoded"/>): the remaining entries whose text is at least partly in the answer.
    /// Tokens a stop string cut away entirely are dropped.
    /// </summary>
    public GeneratedToken[] Finish(int chars)
    {
        _released += chars;
        // Whatever the decoder still held was flushed (as U+FFFD) by now.
        ResolveEnds();
        int count = 0;
        while (count < _pending.Count && (_pending[count].End <= _released || _pending[count].Start < _released))
        {
            count++;
        }
        GeneratedToken[] released = Take(count);
        _pending.Clear();
        return released;
    }

    private void ResolveEnds()
    {
        for (int i = _pending.Count - 1; i >= 0 && _pending[i].End < 0; i--)
        {
            _pending[i] = _pending[i] with { End = _decoded };
        }
    }

    private GeneratedToken[] Take(int count)
    {
        if (count == 0)
        {
            return [];
        }
        var taken = new GeneratedToken[count];
        for (int i = 0; i < count; i++)
        {
            taken[i] = _pending[i].Token;
        }
        _pending.RemoveRange(0, count);
        return taken;
    }

    /// <summary>A held token: where its text starts in the decoded text, and where it ends (−1 while bytes of it are undecoded).</summary>
    private readonly record struct Entry(GeneratedToken Token, long Start, long End);
}

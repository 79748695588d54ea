using System.Text;

namespace SlmCluster.Inference;

/// <summary>
/// Finds stop strings in streamed text, including one that spans several pieces. Text that could still turn out
/// to be the start of a stop string is held back until the next piece decides it; a stop string and everything
/// after it is never released.
/// </summary>
internal sealed class StopStringMatcher
{
    private readonly string[] _stops;
    private readonly StringBuilder _held = new();

    public StopStringMatcher(IReadOnlyList<string> stops)
    {
        _stops = stops.Where(s => !string.IsNullOrEmpty(s)).Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>Adds a piece; returns the text that is safe to release and whether a stop string was reached.</summary>
    public (string Release, bool Stopped) Append(string piece)
    {
        if (_stops.Length == 0)
        {
            return (piece, false);
        }
        _held.Append(piece);
        string text = _held.ToString();

        int stopAt = -1;
        foreach (string stop in _stops)
        {
            int index = text.IndexOf(stop, StringComparison.Ordinal);
            if (index >= 0 && (stopAt < 0 || index < stopAt))
            {
                stopAt = index;
            }
        }
        if (stopAt >= 0)
        {
            _held.Clear();
            return (text[..stopAt], true);
        }

        int hold = LongestSuffixThatStartsAStop(text);
        _held.Clear().Append(text, text.Length - hold, hold);
        return (text[..^hold], false);
    }

    /// <summary>The generation ended without a stop string: releases what was held back.</summary>
    public string Flush()
    {
        string text = _held.ToString();
        _held.Clear();
        return text;
    }

    private int LongestSuffixThatStartsAStop(string text)
    {
        int best = 0;
        foreach (string stop in _stops)
        {
            for (int length = Math.Min(stop.Length - 1, text.Length); length > best; length--)
            {
                if (text.AsSpan(text.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    best = length;
                    break;
                }
            }
        }
        return best;
    }
}

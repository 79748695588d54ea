namespace SlmCluster.Inference;

/// <summary>
/// Picks the free slot a new request runs in. With a KV stream per slot (the default), llama.cpp computes a batch in
/// one pass only over sequences with consecutive ids: each gap between running slots splits a step into one more
/// pass over all the weights. Four requests scattered over an eight-slot engine (one thread, bench model) made
/// about 108 tokens/s where four adjacent ones made about 145. So a request goes where it keeps the running slots
/// together, unless a free slot already caches a prefix of its prompt long enough to be worth a split; among equals,
/// the longest cached prefix, then the slot used longest ago (recent caches survive for their follow-ups).
/// </summary>
internal static class SlotPlacement
{
    /// <summary>
    /// Cached prompt tokens that outweigh keeping the running slots together: a conversation's next turn (hundreds of
    /// tokens) returns to its slot; a few shared words (a template's opening) do not scatter the batch.
    /// </summary>
    public const int PrefixWorthASplit = 32;

    /// <summary>What placement needs to know of one slot.</summary>
    public readonly record struct Candidate(bool Busy, int CachedPrefix, long LastUsedStep);

    /// <summary>The index of the free slot to use; -1 when every slot is busy.</summary>
    /// <param name="slots">Every slot, in sequence id order.</param>
    /// <param name="perSlotStreams">False for a unified KV cache, where any set of sequences decodes in one pass.</param>
    public static int Choose(ReadOnlySpan<Candidate> slots, bool perSlotStreams)
    {
        int best = -1;
        int bestWorth = 0;
        int bestNewRuns = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            Candidate slot = slots[i];
            if (slot.Busy)
            {
                continue;
            }
            int worth = !perSlotStreams || slot.CachedPrefix >= PrefixWorthASplit ? slot.CachedPrefix : 0;
            int newRuns = perSlotStreams ? NewRuns(slots, i) : 0;
            if (best < 0 || IsBetter(worth, newRuns, slot, bestWorth, bestNewRuns, slots[best]))
            {
                best = i;
                bestWorth = worth;
                bestNewRuns = newRuns;
            }
        }
        return best;
    }

    /// <summary>How the number of runs of consecutive busy slots changes when slot <paramref name="i"/> becomes busy: +1, 0 or -1.</summary>
    public static int NewRuns(ReadOnlySpan<Candidate> slots, int i)
    {
        bool left = i > 0 && slots[i - 1].Busy;
        bool right = i + 1 < slots.Length && slots[i + 1].Busy;
        return (left ? 0 : 1) + (right ? 0 : 1) - 1;
    }

    private static bool IsBetter(int worth, int newRuns, Candidate slot, int bestWorth, int bestNewRuns, Candidate bestSlot)
    {
        if (worth != bestWorth)
        {
            return worth > bestWorth;
        }
        if (newRuns != bestNewRuns)
        {
            return newRuns < bestNewRuns;
        }
        if (slot.CachedPrefix != bestSlot.CachedPrefix)
        {
            return slot.CachedPrefix > bestSlot.CachedPrefix;
        }
        return slot.LastUsedStep < bestSlot.LastUsedStep;
    }
}

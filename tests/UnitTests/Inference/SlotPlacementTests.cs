using SlmCluster.Inference;
using Xunit;
using Candidate = SlmCluster.Inference.SlotPlacement.Candidate;

namespace SlmCluster.UnitTests.Inference;

public sealed class SlotPlacementTests
{
    private static Candidate Busy() => new(true, 0, 0);

    private static Candidate Free(int cachedPrefix = 0, long lastUsedStep = 0) => new(false, cachedPrefix, lastUsedStep);

    [Fact]
    public void A_request_joins_the_running_slots_instead_of_a_distant_slot_caching_a_few_of_its_tokens()
    {
        Candidate[] slots = [Busy(), Busy(), Free(2), Free(), Free(), Free(SlotPlacement.PrefixWorthASplit - 1), Free(), Free()];

        Assert.Equal(2, SlotPlacement.Choose(slots, perSlotStreams: true));
    }

    [Fact]
    public void A_hole_between_running_slots_is_filled_first()
    {
        Candidate[] slots = [Busy(), Free(lastUsedStep: 50), Busy(), Busy(), Free(3, 1), Free(), Free(20, 1), Free()];

        Assert.Equal(1, SlotPlacement.Choose(slots, perSlotStreams: true));
    }

    [Fact]
    public void A_long_cached_prefix_wins_over_keeping_the_slots_together()
    {
        Candidate[] slots = [Busy(), Free(), Free(), Free(), Free(), Free(), Free(SlotPlacement.PrefixWorthASplit), Free()];

        Assert.Equal(6, SlotPlacement.Choose(slots, perSlotStreams: true));
    }

    [Fact]
    public void Of_two_long_prefixes_the_longer_wins_wherever_it_is()
    {
        Candidate[] slots = [Busy(), Free(40), Free(), Free(), Free(), Free(), Free(41), Free()];

        Assert.Equal(6, SlotPlacement.Choose(slots, perSlotStreams: true));
    }

    [Fact]
    public void Among_slots_next_to_the_running_ones_the_longer_prefix_then_the_least_recently_used_wins()
    {
        Candidate[] byPrefix = [Free(1, 5), Busy(), Busy(), Free(4, 9), Free(30, 1)];
        Candidate[] byAge = [Free(4, 5), Busy(), Busy(), Free(4, 3), Free(4, 1)];

        Assert.Equal(3, SlotPlacement.Choose(byPrefix, perSlotStreams: true));
        Assert.Equal(3, SlotPlacement.Choose(byAge, perSlotStreams: true));
    }

    [Fact]
    public void With_nothing_running_the_longest_prefix_then_the_least_recently_used_slot_wins()
    {
        Candidate[] byPrefix = [Free(1, 1), Free(0, 0), Free(7, 9), Free(7, 9)];
        Candidate[] byAge = [Free(0, 4), Free(0, 2), Free(0, 3), Free(0, 2)];

        Assert.Equal(2, SlotPlacement.Choose(byPrefix, perSlotStreams: true));
        Assert.Equal(1, SlotPlacement.Choose(byAge, perSlotStreams: true));
    }

    [Fact]
    public void A_unified_cache_places_by_prefix_alone()
    {
        Candidate[] slots = [Busy(), Free(), Free(), Free(), Free(), Free(3), Free(), Free()];

        Assert.Equal(5, SlotPlacement.Choose(slots, perSlotStreams: false));
    }

    [Fact]
    public void No_free_slot_gives_minus_one()
    {
        Assert.Equal(-1, SlotPlacement.Choose([Busy(), Busy()], perSlotStreams: true));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, -1)]
    [InlineData(3, 0)]
    [InlineData(4, 1)]
    [InlineData(5, 0)]
    public void Runs_change_by_how_many_neighbours_are_busy(int slot, int expected)
    {
        Candidate[] slots = [Free(), Free(), Busy(), Free(), Free(), Free(), Busy()];
        if (slot == 1)
        {
            slots[0] = Busy();
        }

        Assert.Equal(expected, SlotPlacement.NewRuns(slots, slot));
    }
}

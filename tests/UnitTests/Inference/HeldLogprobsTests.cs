using System.Text;
using SlmCluster.Inference;
using Xunit;

namespace SlmCluster.UnitTests.Inference;

/// <summary>Entries travel with their tokens' text, through held-back UTF-8 and stop-string prefixes.</summary>
public sealed class HeldLogprobsTests
{
    private static GeneratedToken Token(int id, string text) => new(id, text, Encoding.UTF8.GetBytes(text), -0.5f, []);

    private static int[] Ids(IReadOnlyList<GeneratedToken>? entries) => entries?.Select(e => e.Id).ToArray() ?? [];

    [Fact]
    public void An_entry_leaves_with_the_release_of_its_text()
    {
        var held = new HeldLogprobs();
        held.Add(Token(1, "Once"));
        held.Decoded(4, complete: true);

        Assert.Equal([1], Ids(held.Release(4)));
        Assert.Empty(held.Finish(0));
    }

    [Fact]
    public void Text_held_for_a_possible_stop_string_holds_its_entries_too()
    {
        var held = new HeldLogprobs();
        held.Add(Token(1, " up"));
        held.Decoded(3, complete: true);
        // " u" could start the stop string " un": only " " is released.
        Assert.Null(held.Release(1));
        held.Add(Token(2, "on"));
        held.Decoded(2, complete: true);

        Assert.Equal([1, 2], Ids(held.Release(4)));
    }

    [Fact]
    public void A_token_with_part_of_a_character_waits_for_the_token_that_completes_it()
    {
        var held = new HeldLogprobs();
        held.Add(Token(1, "\uFFFD"));
        held.Decoded(0, complete: false);
        Assert.Null(held.Release(0));
        held.Add(Token(2, "\uFFFD"));
        held.Decoded(1, complete: true); // "é" decoded from both tokens' bytes

        Assert.Equal([1, 2], Ids(held.Release(1)));
    }

    [Fact]
    public void At_a_stop_string_tokens_with_text_in_the_answer_are_kept_and_the_cut_ones_dropped()
    {
        var held = new HeldLogprobs();
        held.Add(Token(1, "The"));
        held.Decoded(3, complete: true);
        held.Add(Token(2, " end"));
        held.Decoded(4, complete: true);
        held.Add(Token(3, " now"));
        held.Decoded(4, complete: true);
        Assert.Equal([1], Ids(held.Release(3)));

        // Stop string "nd now": " e" of token 2 is in the answer, token 3 is not.
        Assert.Equal([2], Ids(held.Finish(2)));
    }

    [Fact]
    public void The_end_releases_what_an_unfinished_character_held()
    {
        var held = new HeldLogprobs();
        held.Add(Token(1, "a"));
        held.Decoded(1, complete: true);
        Assert.Equal([1], Ids(held.Release(1)));
        held.Add(Token(2, "\uFFFD"));
        held.Decoded(0, complete: false);
        held.Decoded(1, complete: true); // the flush turns the lone bytes into U+FFFD

        Assert.Equal([2], Ids(held.Finish(1)));
    }

    [Fact]
    public void Reset_forgets_a_previous_request()
    {
        var held = new HeldLogprobs();
        held.Add(Token(1, "x"));
        held.Decoded(1, complete: true);
        held.Reset();

        Assert.Empty(held.Finish(0));
    }
}

using SlmCluster.Inference;
using Xunit;

namespace SlmCluster.UnitTests.Inference;

public sealed class StopStringMatcherTests
{
    private static (string Released, bool Stopped) Feed(StopStringMatcher matcher, params string[] pieces)
    {
        string released = "";
        foreach (string piece in pieces)
        {
            (string release, bool stopped) = matcher.Append(piece);
            released += release;
            if (stopped)
            {
                return (released, true);
            }
        }
        return (released + matcher.Flush(), false);
    }

    [Fact]
    public void Stop_string_inside_one_piece_cuts_the_text_before_it()
    {
        Assert.Equal(("Hello ", true), Feed(new StopStringMatcher(["END"]), "Hello END and more"));
    }

    [Fact]
    public void Stop_string_spread_over_several_pieces_is_found_and_never_released()
    {
        var matcher = new StopStringMatcher(["\nUser:"]);

        Assert.Equal(("Hi", false), matcher.Append("Hi"));
        Assert.Equal(("!", false), matcher.Append("!\nUs"));   // "\nUs" could start the stop string: held back
        Assert.Equal(("", true), matcher.Append("er: next"));
    }

    [Fact]
    public void Held_back_text_is_released_when_it_turns_out_not_to_be_a_stop_string()
    {
        var matcher = new StopStringMatcher(["STOP"]);

        Assert.Equal(("a", false), matcher.Append("aST"));
        Assert.Equal(("STaRT", false), matcher.Append("aRT"));
    }

    [Fact]
    public void Held_back_text_is_released_when_the_generation_ends_otherwise()
    {
        Assert.Equal(("the end ST", false), Feed(new StopStringMatcher(["STOP"]), "the end ", "ST"));
    }

    [Fact]
    public void The_earliest_of_several_stop_strings_wins()
    {
        Assert.Equal(("one ", true), Feed(new StopStringMatcher(["three", "two"]), "one two three"));
    }

    [Fact]
    public void Without_stop_strings_text_passes_straight_through()
    {
        var matcher = new StopStringMatcher([]);

        Assert.Equal(("abc", false), matcher.Append("abc"));
        Assert.Equal("", matcher.Flush());
    }
}

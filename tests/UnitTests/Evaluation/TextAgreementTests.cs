using SlmCluster.Evaluation;

namespace SlmCluster.UnitTests.Evaluation;

public sealed class TextAgreementTests
{
    [Fact]
    public void Normalisation_drops_case_punctuation_articles_and_extra_spaces()
    {
        Assert.Equal("cat sat on mat", AnswerText.Normalize("  The CAT sat, on a   mat!\n"));
        Assert.Equal(["dont", "stop"], AnswerText.Tokens("Don't stop."));
    }

    [Fact]
    public void Exact_match_is_one_only_for_texts_equal_after_normalisation()
    {
        Assert.Equal(1, TextAgreement.ExactMatch("The cat sat.", "cat   SAT"));
        Assert.Equal(0, TextAgreement.ExactMatch("The cat sat.", "The cat sat down."));
        Assert.Equal(1, TextAgreement.ExactMatch("", "  ...  "));
    }

    [Fact]
    public void Token_f1_counts_common_words_with_multiplicity()
    {
        // answer: cat sat on mat (4); reference: cat sat on hat (4); common 3: P = R = 3/4, F1 = 0.75.
        Assert.Equal(0.75, TextAgreement.F1("the cat sat on the mat", "a cat sat on a hat"), 12);
        // answer: dog dog dog (3); reference: dog (1); common 1 (a word counts as often as the reference has it):
        // P = 1/3, R = 1, F1 = 2 * (1/3) / (4/3) = 0.5.
        Assert.Equal(0.5, TextAgreement.F1("dog dog dog", "dog"), 12);
        Assert.Equal(0, TextAgreement.F1("sun", "moon"));
        Assert.Equal(0, TextAgreement.F1("", "moon"));
        Assert.Equal(1, TextAgreement.F1("", ""));
    }

    [Fact]
    public void Rouge_l_rewards_words_in_the_same_order()
    {
        // Same words, so F1 is 1; reversed, their longest common subsequence is one word: P = R = 1/3.
        Assert.Equal(1, TextAgreement.F1("one two three", "three two one"), 12);
        Assert.Equal(1.0 / 3, TextAgreement.RougeL("one two three", "three two one"), 12);
        // answer: police killed gunman (3); reference: police kill gunman (3)... LCS "police gunman" = 2:
        // P = 2/3, R = 2/3, F = 2/3.
        Assert.Equal(2.0 / 3, TextAgreement.RougeL("police killed the gunman", "the police kill the gunman"), 12);
        // answer 5 words, reference 2, LCS 2 ("b d"): P = 2/5, R = 1, F = 2 * 0.4 / 1.4 = 4/7.
        Assert.Equal(4.0 / 7, TextAgreement.RougeL("x b y d z", "b d"), 12);
        Assert.Equal(1, TextAgreement.RougeL("Same text.", "same TEXT"));
    }
}

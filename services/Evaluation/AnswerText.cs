using System.Globalization;
using System.Text;

namespace SlmCluster.Evaluation;

/// <summary>
/// An answer as text scores see it: lower case, apostrophes dropped, other punctuation read as a space, the articles
/// a, an and the dropped, whitespace collapsed (close to the normalisation reading-comprehension benchmarks score
/// exact match and F1 after), and its words.
/// </summary>
public static class AnswerText
{
    private static readonly HashSet<string> Articles = new(["a", "an", "the"], StringComparer.Ordinal);

    /// <summary>The words of the normalised text, in order.</summary>
    public static string[] Tokens(string text)
    {
        var cleaned = new StringBuilder(text.Length);
        foreach (var c in text.Normalize(NormalizationForm.FormKC))
        {
            var category = char.GetUnicodeCategory(c);
            if (c is '\'' or '\u2019')
            {
                // An apostrophe joins its word ("don't" is one word), as the benchmarks' normalisation keeps it.
                continue;
            }

            // Other punctuation separates words, so that a JSON answer's keys and values are words of their own.
            var separates = char.IsWhiteSpace(c) || char.IsPunctuation(c)
                || category is UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol;
            cleaned.Append(separates ? ' ' : char.ToLowerInvariant(c));
        }

        return cleaned.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => !Articles.Contains(w)).ToArray();
    }

    /// <summary>The normalised text: its words joined by single spaces.</summary>
    public static string Normalize(string text) => string.Join(' ', Tokens(text));
}

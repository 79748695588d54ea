using SlmCluster.Evaluation;

namespace SlmCluster.UnitTests.Evaluation;

public sealed class StructuredAgreementTests
{
    [Fact]
    public void Json_answers_with_the_same_keys_and_equal_values_agree_fully_in_any_key_order()
    {
        Assert.Equal(1, JsonAgreement.Score("""{"name":"Tim","age":3,"tags":["a","b"]}""", """{ "tags": ["a", "b"], "age": 3.0, "name": "Tim" }"""));
        Assert.Equal(1, JsonAgreement.Score("{}", "{}"));
    }

    [Fact]
    public void Json_agreement_is_the_share_of_equal_values_over_both_documents_paths()
    {
        // Leaves: name (equal), age (4 vs 5), city (only in the answer): 1 of 3.
        Assert.Equal(1.0 / 3, JsonAgreement.Score("""{"name":"Tim","age":4,"city":"Oslo"}""", """{"name":"Tim","age":5}""")!.Value, 12);
        // Nested: a.b equal, a.c "1" (a string) against 1 (a number) differs, list [1,2] against [1,2,3]: 1, 2 equal and 3 missing.
        // Equal: a.b, list[0], list[1] = 3 of 5.
        Assert.Equal(3.0 / 5, JsonAgreement.Score("""{"a":{"b":true,"c":"1"},"list":[1,2]}""", """{"a":{"b":true,"c":1},"list":[1,2,3]}""")!.Value, 12);
        // An object where the reference has a scalar: the object's two leaves against one: 0 of 2.
        Assert.Equal(0, JsonAgreement.Score("""{"a":{"x":1,"y":2}}""", """{"a":7}"""));
    }

    [Fact]
    public void An_answer_that_is_not_json_scores_zero_and_two_texts_are_not_scored_as_json()
    {
        Assert.Equal(0, JsonAgreement.Score("Once upon a time", """{"a":1}"""));
        Assert.Null(JsonAgreement.Score("Once upon a time", "There was a dog"));
    }

    [Fact]
    public void Tool_calls_agree_when_they_name_the_same_function_with_the_same_arguments()
    {
        ToolCallAnswer Call(string name, string args) => new(name, args);
        var weather = Call("get_weather", """{"city":"Oslo","days":2}""");

        Assert.Equal(1, ToolCallAgreement.Score([weather], [Call("get_weather", """{ "days": 2.0, "city": "Oslo" }""")]));
        Assert.Equal(0, ToolCallAgreement.Score([weather], [Call("get_weather", """{"city":"Bergen","days":2}""")]));
        Assert.Equal(0, ToolCallAgreement.Score([weather], [Call("get_time", """{"city":"Oslo","days":2}""")]));
        // Paired in order; the second pair differs and the reference has a third call: 1 of 3.
        Assert.Equal(1.0 / 3, ToolCallAgreement.Score([weather, Call("now", "")], [weather, Call("today", "{}"), Call("now", "{}")]), 12);
        // A call without arguments is a call with the empty object.
        Assert.Equal(1, ToolCallAgreement.Score([Call("now", "")], [Call("now", "{}")]));
        Assert.Equal(1, ToolCallAgreement.Score([], []));
    }

    [Fact]
    public void Embedding_cosine_is_one_for_the_same_direction_and_zero_for_orthogonal_vectors()
    {
        Assert.Equal(1, EmbeddingCosine.Score([1, 2, 2], [2, 4, 4]), 12);
        Assert.Equal(0, EmbeddingCosine.Score([1, 0], [0, 3]), 12);
        // (1,1)·(1,0) = 1; |(1,1)| = sqrt 2: cos = 1/sqrt 2.
        Assert.Equal(1 / Math.Sqrt(2), EmbeddingCosine.Score([1, 1], [1, 0]), 6);
        Assert.Throws<ArgumentException>(() => EmbeddingCosine.Score([1, 2], [1, 2, 3]));
        Assert.Throws<ArgumentException>(() => EmbeddingCosine.Score([0, 0], [1, 2]));
    }
}

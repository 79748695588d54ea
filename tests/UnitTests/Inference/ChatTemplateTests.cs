using SlmCluster.Inference;
using Xunit;

namespace SlmCluster.UnitTests.Inference;

[Collection(BatchingEngineCollection.Name)]
public sealed class ChatTemplateTests(BatchingEngineFixture fixture)
{
    private static readonly ChatTurn[] TwoTurns =
    [
        new("system", "You tell short stories."),
        new("user", "Hi"),
        new("assistant", "Hello! Shall I tell you a story?"),
        new("user", "Yes, about a cat."),
    ];

    [Fact]
    public void Two_turn_chat_without_a_model_template_is_decoded_as_the_default_template_text()
    {
        string rendered = fixture.Engine.RenderPrompt(new GenerationRequest { Messages = TwoTurns });

        Assert.Null(fixture.Engine.Model.ChatTemplate);
        Assert.Equal(
            "System: You tell short stories.\nUser: Hi\nAssistant: Hello! Shall I tell you a story?\nUser: Yes, about a cat.\nAssistant:",
            rendered);
    }

    [Fact]
    public async Task Two_turn_chat_generates_exactly_what_its_rendered_text_generates_as_a_raw_prompt()
    {
        var chat = new GenerationRequest { Messages = TwoTurns, MaxTokens = 16 };
        var raw = new GenerationRequest { Prompt = fixture.Engine.RenderPrompt(chat), MaxTokens = 16 };

        Generated fromChat = await Generated.CollectAsync(fixture.Engine, chat);
        Generated fromRaw = await fixture.GenerateAloneAsync(raw);

        Assert.Equal(fixture.Model.Tokenize(raw.Prompt!, addSpecial: true, parseSpecial: true).Length, fromChat.Final.PromptTokens);
        Assert.Equal(fromRaw.Text, fromChat.Text);
    }

    [Fact]
    public void Model_template_from_GGUF_metadata_is_applied_by_llama_cpp()
    {
        // The shape of SmolLM2's and Qwen's templates (ChatML); llama.cpp recognises it by its markers.
        const string template =
            "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
            "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

        string? rendered = fixture.Model.ApplyChatTemplate(template, TwoTurns, addAssistantPrefix: true);

        Assert.Equal(
            "<|im_start|>system\nYou tell short stories.<|im_end|>\n" +
            "<|im_start|>user\nHi<|im_end|>\n" +
            "<|im_start|>assistant\nHello! Shall I tell you a story?<|im_end|>\n" +
            "<|im_start|>user\nYes, about a cat.<|im_end|>\n" +
            "<|im_start|>assistant\n",
            rendered);
    }

    [Fact]
    public void Template_llama_cpp_does_not_know_renders_as_null_so_the_default_applies()
    {
        Assert.Null(fixture.Model.ApplyChatTemplate("{{ something nobody uses }}", TwoTurns, addAssistantPrefix: true));
    }
}

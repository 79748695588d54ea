using Microsoft.Extensions.Logging;
using SlmCluster.Inference;
using Xunit;

namespace SlmCluster.UnitTests.Inference;

public sealed class ModelLoadingTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("slm-model-tests-");

    public void Dispose() => _scratch.Delete(recursive: true);

    [Fact]
    public void Metadata_of_stories260K_is_read_from_the_file()
    {
        using LlamaModel model = LlamaModel.Load(new ModelLoadOptions { Path = TestModels.Stories260K });
        ModelMetadata metadata = model.Metadata;

        Assert.Equal("llama", metadata.Architecture);
        Assert.Equal(2048, metadata.ContextLength);
        Assert.Equal(512, metadata.VocabSize);
        Assert.Equal(5, metadata.LayerCount);
        Assert.Equal(64, metadata.EmbeddingLength);
        Assert.InRange(metadata.ParameterCount, 250_000UL, 350_000UL);
        Assert.Null(metadata.ChatTemplate);
        Assert.Equal(TestModels.Stories260K, metadata.FilePath);
        Assert.Equal(1_185_376, metadata.FileSizeBytes);
        Assert.False(string.IsNullOrEmpty(metadata.Name));
    }

    [Fact]
    public void A_character_the_vocabulary_cannot_encode_is_refused_instead_of_ending_the_process()
    {
        // tinystories-656k's SentencePiece vocabulary has no byte tokens: llama.cpp's tokenizer throws a C++ exception
        // for a character it lacks ('(' here), which would end the worker. The model refuses the text first.
        using LlamaModel model = LlamaModel.Load(new ModelLoadOptions { Path = TestModels.Find("tinystories-656k-q8_0.gguf") });

        Assert.NotEmpty(model.Tokenize("Once upon a time there was a dog.", addSpecial: true, parseSpecial: false));
        InferenceException refused = Assert.Throws<InferenceException>(() => model.Tokenize("def fibonacci(n):", addSpecial: true, parseSpecial: false));

        Assert.Equal(InferenceErrorKind.InvalidArgument, refused.Kind);
        Assert.Contains("'(' (U+0028) at position 13", refused.Message);
        Assert.NotEmpty(model.Tokenize("the model still works after", addSpecial: true, parseSpecial: false));
    }

    [Fact]
    public void A_vocabulary_with_byte_tokens_encodes_any_text()
    {
        using LlamaModel model = LlamaModel.Load(new ModelLoadOptions { Path = TestModels.Stories260K });

        Assert.NotEmpty(model.Tokenize("def fibonacci(n): return n ≤ 1 ? n : 🐍", addSpecial: true, parseSpecial: false));
    }

    [Fact]
    public void CPU_backend_is_found_next_to_the_application()
    {
        Assert.Contains(LlamaRuntime.Devices(), device => device.StartsWith("CPU", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(LlamaRuntime.NativeDirectory, "libggml-base.so")));
    }

    [Fact]
    public void Tokenizer_adds_BOS_and_round_trips_text()
    {
        using LlamaModel model = LlamaModel.Load(new ModelLoadOptions { Path = TestModels.Stories260K });

        int[] withBos = model.Tokenize("Once upon a time", addSpecial: true, parseSpecial: false);
        int[] withoutBos = model.Tokenize("Once upon a time", addSpecial: false, parseSpecial: false);

        Assert.Equal(model.BeginningOfSequenceToken, withBos[0]);
        Assert.Equal(withoutBos, withBos[1..]);
        Assert.Equal(" Once upon a time", string.Concat(withoutBos.Select(model.TokenToText)));
        Assert.True(model.IsEndOfGeneration(model.EndOfSequenceToken));
        Assert.False(model.IsEndOfGeneration(withoutBos[0]));
    }

    [Fact]
    public void Missing_model_file_is_refused_with_its_path()
    {
        string path = Path.Combine(_scratch.FullName, "nothing-here.gguf");

        var error = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(new ModelLoadOptions { Path = path }));

        Assert.Equal($"Model file not found: {path}", error.Message);
        Assert.Equal(path, error.ModelPath);
    }

    [Fact]
    public void Text_file_is_refused_as_not_GGUF_with_its_path()
    {
        string path = Path.Combine(_scratch.FullName, "notes.gguf");
        File.WriteAllText(path, "These are not the weights you are looking for.\n");

        var error = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(new ModelLoadOptions { Path = path }));

        Assert.Contains(path, error.Message);
        Assert.Contains("is not a GGUF file (bad magic", error.Message);
    }

    [Theory]
    [InlineData(2)]          // inside the magic
    [InlineData(20)]         // inside the header
    [InlineData(3_000)]      // inside the metadata (tokenizer arrays)
    [InlineData(600_000)]    // inside the tensor data
    [InlineData(1_185_375)]  // one byte short
    public void Truncated_model_file_is_refused_with_its_path(int keepBytes)
    {
        string path = Path.Combine(_scratch.FullName, $"cut-{keepBytes}.gguf");
        using (FileStream source = File.OpenRead(TestModels.Stories260K))
        using (FileStream target = File.Create(path))
        {
            byte[] buffer = new byte[keepBytes];
            source.ReadExactly(buffer);
            target.Write(buffer);
        }

        var error = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(new ModelLoadOptions { Path = path }));

        Assert.Contains(path, error.Message);
        Assert.True(
            error.Message.Contains("is truncated or corrupt", StringComparison.Ordinal) || error.Message.Contains("is not a GGUF file", StringComparison.Ordinal),
            error.Message);
        if (keepBytes >= 20)
        {
            Assert.Contains("is truncated or corrupt", error.Message);
        }
    }

    [Fact]
    public void Wrong_GGUF_version_is_refused_with_its_path()
    {
        string path = Path.Combine(_scratch.FullName, "future.gguf");
        byte[] bytes = File.ReadAllBytes(TestModels.Stories260K);
        BitConverter.TryWriteBytes(bytes.AsSpan(4, 4), 99u);
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(new ModelLoadOptions { Path = path }));

        Assert.Contains(path, error.Message);
        Assert.Contains("GGUF version 99", error.Message);
    }

    [Fact]
    public void A_good_model_loads_after_bad_ones_were_refused()
    {
        string path = Path.Combine(_scratch.FullName, "half.gguf");
        byte[] bytes = File.ReadAllBytes(TestModels.Stories260K);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        Assert.Throws<ModelLoadException>(() => LlamaModel.Load(new ModelLoadOptions { Path = path }));

        using LlamaModel model = LlamaModel.Load(new ModelLoadOptions { Path = TestModels.Stories260K, UseMmap = false });

        Assert.Equal(512, model.Metadata.VocabSize);
    }

    [Fact]
    public void Native_llama_cpp_log_reaches_the_logger_at_mapped_levels()
    {
        var logs = new CapturingLoggerProvider();
        using ILoggerFactory factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));

        using (LlamaModel.Load(new ModelLoadOptions { Path = TestModels.Stories260K }, factory))
        {
        }

        var native = logs.Entries.Where(e => e.Category == "SlmCluster.Inference.LlamaCpp").ToList();
        Assert.Contains(native, e => e.Message.Contains("llama_model_loader", StringComparison.Ordinal) && e.Level == LogLevel.Debug);
        Assert.DoesNotContain(native, e => e.Message.EndsWith('\n'));
        Assert.DoesNotContain(native, e => e.Level == LogLevel.Error);
    }
}

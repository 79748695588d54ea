using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SlmCluster.Inference.Native;

namespace SlmCluster.Inference;

/// <summary>
/// A GGUF model loaded by llama.cpp: its metadata, tokenizer and chat template. Tokenizing and rendering
/// are thread-safe; the weights are shared by every context made from this model.
/// </summary>
public sealed unsafe class LlamaModel : IDisposable
{
    private readonly SafeLlamaModelHandle _handle;
    private readonly IntPtr _vocab;
    private readonly ILogger _logger;
    private int _warnedTemplate;

    private LlamaModel(SafeLlamaModelHandle handle, ModelMetadata metadata, ILogger logger)
    {
        _handle = handle;
        _vocab = LlamaApi.llama_model_get_vocab(handle);
        _logger = logger;
        Metadata = metadata;
        BeginningOfSequenceToken = LlamaApi.llama_vocab_bos(_vocab);
        EndOfSequenceToken = LlamaApi.llama_vocab_eos(_vocab);
        AddsBeginningOfSequence = LlamaApi.llama_vocab_get_add_bos(_vocab);
        _encodable = new Lazy<SentencePieceCoverage?>(() => SentencePieceCoverage.For(_vocab), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Null when every text can be tokenized (the usual case); else the characters this vocabulary covers.</summary>
    private readonly Lazy<SentencePieceCoverage?> _encodable;

    /// <summary>What the model is.</summary>
    public ModelMetadata Metadata { get; }

    /// <summary>The BOS token id, or -1 when the vocabulary has none.</summary>
    public int BeginningOfSequenceToken { get; }

    /// <summary>The EOS token id, or -1 when the vocabulary has none.</summary>
    public int EndOfSequenceToken { get; }

    /// <summary>Whether tokenizing with <c>addSpecial</c> puts BOS in front (a property of the vocabulary).</summary>
    public bool AddsBeginningOfSequence { get; }

    internal SafeLlamaModelHandle Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle;
        }
    }

    /// <summary>
    /// Loads a model. The file is checked in managed code first (exists, GGUF magic and version, metadata
    /// and tensor table readable, file as long as its tensors), so a wrong file gives a
    /// <see cref="ModelLoadException"/> naming it instead of a crash inside llama.cpp.
    /// </summary>
    public static LlamaModel Load(ModelLoadOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Path))
        {
            throw new ArgumentException("ModelLoadOptions.Path is empty.", nameof(options));
        }
        string path = System.IO.Path.GetFullPath(options.Path);
        ILogger logger = (ILogger?)loggerFactory?.CreateLogger<LlamaModel>() ?? NullLogger.Instance;

        LlamaBackend.EnsureInitialized(loggerFactory);
        GgufFileValidator.Validate(path);

        LlamaModelParams parameters = LlamaApi.llama_model_default_params();
        parameters.NGpuLayers = options.GpuLayers;
        parameters.LoadMode = options.UseMmap ? LlamaModelParams.LoadModeMmap : LlamaModelParams.LoadModeNone;

        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        LlamaNativeLog.TakeLastError();
        SafeLlamaModelHandle handle = LlamaApi.llama_model_load_from_file(path, parameters);
        if (handle.IsInvalid)
        {
            string? nativeError = LlamaNativeLog.TakeLastError();
            handle.Dispose();
            throw new ModelLoadException(path,
                $"Model file {path} could not be loaded by llama.cpp" + (nativeError is null ? "" : $": {nativeError}"));
        }

        try
        {
            ModelMetadata metadata = ReadMetadata(handle, path);
            logger.LogInformation(
                "Loaded model {ModelName} ({Architecture}, {ParameterCount:N0} parameters, context {ContextLength}) from {ModelPath} in {ElapsedMs:F0} ms",
                metadata.Name, metadata.Architecture, metadata.ParameterCount, metadata.ContextLength, path,
                System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return new LlamaModel(handle, metadata, logger);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads the LoRA adapter at <paramref name="path"/> for this model: checked in managed code against the model's own
    /// file first (<see cref="LoraAdapterValidator"/>), so a wrong, corrupt or non-adapter file is refused with a reason
    /// before llama.cpp reads it. The caller frees it (<see cref="FreeAdapter"/>) before the model.
    /// </summary>
    /// <exception cref="AdapterLoadException">The file cannot serve with this model.</exception>
    internal LoraAdapter LoadAdapter(string name, string path)
    {
        string fullPath = System.IO.Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new AdapterLoadException($"adapter file not found: {fullPath}");
        }
        GgufContents own = _ownFile ??= GgufFileValidator.Read(Metadata.FilePath);
        (int rank, float alpha, int pairs) = LoraAdapterValidator.Validate(fullPath, own, Metadata.Architecture);
        LlamaNativeLog.TakeLastError();
        IntPtr handle = LlamaApi.llama_adapter_lora_init(Handle, fullPath);
        if (handle == IntPtr.Zero)
        {
            string? nativeError = LlamaNativeLog.TakeLastError();
            throw new AdapterLoadException($"llama.cpp could not load {fullPath}" + (nativeError is null ? "" : $": {nativeError}"));
        }
        _logger.LogInformation("Loaded adapter {AdapterName} (rank {Rank}, alpha {Alpha}, {Pairs} weights) from {AdapterPath}", name, rank, alpha, pairs, fullPath);
        return new LoraAdapter(name, fullPath, new FileInfo(fullPath).Length, rank, alpha, pairs, handle);
    }

    /// <summary>Frees an adapter of this model (no context may still use it).</summary>
    internal static void FreeAdapter(LoraAdapter adapter)
    {
        if (adapter.Handle != IntPtr.Zero)
        {
            LlamaApi.llama_adapter_lora_free(adapter.Handle);
            adapter.Handle = IntPtr.Zero;
        }
    }

    /// <summary>The model file's tensor table, read the first time an adapter is checked against it.</summary>
    private GgufContents? _ownFile;

    /// <summary>Splits <paramref name="text"/> into token ids.</summary>
    /// <param name="text">The text.</param>
    /// <param name="addSpecial">Add BOS (and EOS) where the vocabulary asks for them.</param>
    /// <param name="parseSpecial">Turn special-token text such as <c>&lt;|im_start|&gt;</c> into its token instead of plain text.</param>
    /// <exception cref="InferenceException">The text holds a character this vocabulary cannot encode.</exception>
    public int[] Tokenize(string text, bool addSpecial, bool parseSpecial)
    {
        ArgumentNullException.ThrowIfNull(text);
        SafeLlamaModelHandle handle = Handle;
        _encodable.Value?.ThrowIfUnencodable(text, Metadata.Name);
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        int[] tokens = new int[utf8.Length + 4];
        bool addRef = false;
        try
        {
            handle.DangerousAddRef(ref addRef);
            fixed (byte* textPtr = utf8)
            {
                int count;
                fixed (int* tokensPtr = tokens)
                {
                    count = LlamaApi.llama_tokenize(_vocab, textPtr, utf8.Length, tokensPtr, tokens.Length, addSpecial, parseSpecial);
                }
                if (count < 0)
                {
                    if (count == int.MinValue)
                    {
                        throw new InferenceException(InferenceErrorKind.InvalidArgument, "the text is too long to tokenize");
                    }
                    tokens = new int[-count];
                    fixed (int* tokensPtr = tokens)
                    {
                        count = LlamaApi.llama_tokenize(_vocab, textPtr, utf8.Length, tokensPtr, tokens.Length, addSpecial, parseSpecial);
                    }
                }
                return count == tokens.Length ? tokens : tokens.AsSpan(0, Math.Max(count, 0)).ToArray();
            }
        }
        finally
        {
            if (addRef)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Whether <paramref name="token"/> ends generation (EOS, EOT and the like).</summary>
    public bool IsEndOfGeneration(int token) => LlamaApi.llama_vocab_is_eog(VocabPointer, token);

    /// <summary>The text of one token (control tokens render as ""); partial UTF-8 sequences come out as U+FFFD.</summary>
    public string TokenToText(int token) => Encoding.UTF8.GetString(TokenBytes(token));

    /// <summary>
    /// Renders a chat with the model's own template through <c>llama_chat_apply_template</c>. Returns null when
    /// the model has no template, or llama.cpp does not recognise it (it knows a fixed list of templates).
    /// </summary>
    public string? ApplyChatTemplate(IReadOnlyList<ChatTurn> turns, bool addAssistantPrefix) =>
        Metadata.ChatTemplate is { } template ? ApplyChatTemplate(template, turns, addAssistantPrefix) : null;

    /// <summary>
    /// Renders a chat with <paramref name="template"/> (a Jinja template from GGUF metadata, or a name llama.cpp
    /// knows such as "chatml"); null when llama.cpp does not recognise it.
    /// </summary>
    internal string? ApplyChatTemplate(string template, IReadOnlyList<ChatTurn> turns, bool addAssistantPrefix)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(turns);

        var allocations = new List<IntPtr>(turns.Count * 2 + 1);
        try
        {
            IntPtr templatePtr = Marshal.StringToCoTaskMemUTF8(template);
            allocations.Add(templatePtr);
            var messages = new LlamaChatMessage[turns.Count];
            int textBytes = 0;
            for (int i = 0; i < turns.Count; i++)
            {
                IntPtr role = Marshal.StringToCoTaskMemUTF8(turns[i].Role ?? "");
                allocations.Add(role);
                IntPtr content = Marshal.StringToCoTaskMemUTF8(turns[i].Content ?? "");
                allocations.Add(content);
                messages[i] = new LlamaChatMessage { Role = (byte*)role, Content = (byte*)content };
                textBytes += Encoding.UTF8.GetByteCount(turns[i].Role ?? "") + Encoding.UTF8.GetByteCount(turns[i].Content ?? "");
            }

            byte[] buffer = new byte[Math.Max(256, textBytes * 2 + 256)];
            fixed (LlamaChatMessage* messagesPtr = messages)
            {
                int length = Apply(templatePtr, messagesPtr, buffer);
                if (length > buffer.Length)
                {
                    buffer = new byte[length];
                    length = Apply(templatePtr, messagesPtr, buffer);
                }
                if (length < 0)
                {
                    if (Interlocked.Exchange(ref _warnedTemplate, 1) == 0)
                    {
                        _logger.LogWarning("llama.cpp does not support the chat template of {ModelName}; chats use the default template", Metadata.Name);
                    }
                    return null;
                }
                return Encoding.UTF8.GetString(buffer, 0, length);
            }

            int Apply(IntPtr templatePtr, LlamaChatMessage* messagesPtr, byte[] output)
            {
                fixed (byte* outputPtr = output)
                {
                    return LlamaApi.llama_chat_apply_template((byte*)templatePtr, messagesPtr, (nuint)turns.Count, addAssistantPrefix, outputPtr, output.Length);
                }
            }
        }
        finally
        {
            foreach (IntPtr allocation in allocations)
            {
                Marshal.ZeroFreeCoTaskMemUTF8(allocation);
            }
        }
    }

    /// <summary>
    /// Renders a chat as prompt text: the model's template when llama.cpp can apply it, else
    /// <see cref="DefaultChatTemplate"/>.
    /// </summary>
    public string RenderChat(IReadOnlyList<ChatTurn> turns, bool addAssistantPrefix) =>
        ApplyChatTemplate(turns, addAssistantPrefix) ?? DefaultChatTemplate.Render(turns, addAssistantPrefix);

    /// <summary>The bytes of one token's text (control tokens have none), in a new array.</summary>
    internal byte[] TokenBytes(int token)
    {
        byte[] buffer = new byte[32];
        int length = TokenToPiece(token, ref buffer);
        return buffer.AsSpan(0, length).ToArray();
    }

    /// <summary>Writes the bytes of <paramref name="token"/> to <paramref name="buffer"/> (grown when too small); returns their count.</summary>
    internal int TokenToPiece(int token, ref byte[] buffer)
    {
        IntPtr vocab = VocabPointer;
        while (true)
        {
            int length;
            fixed (byte* bufferPtr = buffer)
            {
                length = LlamaApi.llama_token_to_piece(vocab, token, bufferPtr, buffer.Length, 0, special: false);
            }
            if (length >= 0)
            {
                return length;
            }
            buffer = new byte[-length];
        }
    }

    internal IntPtr VocabPointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _vocab;
        }
    }

    public void Dispose() => _handle.Dispose();

    private static ModelMetadata ReadMetadata(SafeLlamaModelHandle handle, string path)
    {
        IntPtr vocab = LlamaApi.llama_model_get_vocab(handle);
        string name = MetaString(handle, "general.name") is { Length: > 0 } n ? n : System.IO.Path.GetFileNameWithoutExtension(path);
        string architecture = MetaString(handle, "general.architecture") ?? "unknown";
        string? template = LlamaApi.ReadUtf8(LlamaApi.llama_model_chat_template(handle, null));
        return new ModelMetadata(
            Name: name,
            Architecture: architecture,
            ParameterCount: LlamaApi.llama_model_n_params(handle),
            ContextLength: LlamaApi.llama_model_n_ctx_train(handle),
            ChatTemplate: string.IsNullOrEmpty(template) ? null : template,
            FilePath: path,
            FileSizeBytes: new FileInfo(path).Length,
            VocabSize: LlamaApi.llama_vocab_n_tokens(vocab),
            LayerCount: LlamaApi.llama_model_n_layer(handle),
            EmbeddingLength: LlamaApi.llama_model_n_embd(handle),
            HeadCount: LlamaApi.llama_model_n_head(handle),
            KvHeadCount: LlamaApi.llama_model_n_head_kv(handle));
    }

    private static string? MetaString(SafeLlamaModelHandle handle, string key)
    {
        byte[] buffer = new byte[256];
        while (true)
        {
            int length;
            fixed (byte* bufferPtr = buffer)
            {
                length = LlamaApi.llama_model_meta_val_str(handle, key, bufferPtr, (nuint)buffer.Length);
            }
            if (length < 0)
            {
                return null;
            }
            if (length < buffer.Length)
            {
                return Encoding.UTF8.GetString(buffer, 0, length);
            }
            buffer = new byte[length + 1];
        }
    }
}

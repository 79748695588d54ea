using System.Runtime.InteropServices;

namespace SlmCluster.Inference.Native;

/// <summary>
/// Source-generated declarations for the parts of llama.cpp's C API (<c>llama.h</c>) that the engine uses.
/// Names and parameter order follow the header; C <c>bool</c> is marshalled as one byte.
/// </summary>
internal static unsafe partial class LlamaApi
{
    public const string LibraryName = "llama";

    /// <summary><c>LLAMA_DEFAULT_SEED</c>: asks the dist sampler for a random seed.</summary>
    public const uint DefaultSeed = 0xFFFFFFFF;

    /// <summary><c>LLAMA_TOKEN_NULL</c>.</summary>
    public const int TokenNull = -1;

    static LlamaApi() => NativeLibraryResolver.EnsureRegistered();

    // Backend and logging

    [LibraryImport(LibraryName)]
    public static partial void llama_backend_init();

    [LibraryImport(LibraryName)]
    public static partial void llama_log_set(delegate* unmanaged[Cdecl]<int, byte*, void*, void> logCallback, void* userData);

    // Model

    [LibraryImport(LibraryName)]
    public static partial LlamaModelParams llama_model_default_params();

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial SafeLlamaModelHandle llama_model_load_from_file(string pathModel, LlamaModelParams parameters);

    [LibraryImport(LibraryName)]
    public static partial void llama_model_free(IntPtr model);

    [LibraryImport(LibraryName)]
    public static partial IntPtr llama_model_get_vocab(SafeLlamaModelHandle model);

    [LibraryImport(LibraryName)]
    public static partial int llama_model_n_ctx_train(SafeLlamaModelHandle model);

    [LibraryImport(LibraryName)]
    public static partial int llama_model_n_embd(SafeLlamaModelHandle model);

    [LibraryImport(LibraryName)]
    public static partial int llama_model_n_head(SafeLlamaModelHandle model);

    [LibraryImport(LibraryName)]
    public static partial int llama_model_n_head_kv(SafeLlamaModelHandle model);

    [LibraryImport(LibraryName)]
    public static partial int llama_model_n_layer(SafeLlamaModelHandle model);

    [LibraryImport(LibraryName)]
    public static partial ulong llama_model_n_params(SafeLlamaModelHandle model);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int llama_model_meta_val_str(SafeLlamaModelHandle model, string key, byte* buf, nuint bufSize);

    [LibraryImport(LibraryName)]
    public static partial byte* llama_model_chat_template(SafeLlamaModelHandle model, byte* name);

    [LibraryImport(LibraryName)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_model_has_encoder(SafeLlamaModelHandle model);

    // Vocabulary (a const llama_vocab* that lives as long as its model)

    [LibraryImport(LibraryName)]
    public static partial int llama_vocab_n_tokens(IntPtr vocab);

    [LibraryImport(LibraryName)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_vocab_is_eog(IntPtr vocab, int token);

    [LibraryImport(LibraryName)]
    public static partial int llama_vocab_bos(IntPtr vocab);

    /// <summary>The tokenizer kind: 1 is SentencePiece-style (llama), 2 byte-level BPE, ...</summary>
    [LibraryImport(LibraryName)]
    public static partial int llama_vocab_type(IntPtr vocab);

    /// <summary>A token's text as the vocabulary stores it (SentencePiece: spaces as U+2581, bytes as &lt;0xAB&gt;).</summary>
    [LibraryImport(LibraryName)]
    public static partial byte* llama_vocab_get_text(IntPtr vocab, int token);

    [LibraryImport(LibraryName)]
    public static partial int llama_vocab_eos(IntPtr vocab);

    [LibraryImport(LibraryName)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_vocab_get_add_bos(IntPtr vocab);

    [LibraryImport(LibraryName)]
    public static partial int llama_tokenize(
        IntPtr vocab,
        byte* text,
        int textLength,
        int* tokens,
        int maxTokens,
        [MarshalAs(UnmanagedType.U1)] bool addSpecial,
        [MarshalAs(UnmanagedType.U1)] bool parseSpecial);

    [LibraryImport(LibraryName)]
    public static partial int llama_token_to_piece(
        IntPtr vocab,
        int token,
        byte* buf,
        int length,
        int lstrip,
        [MarshalAs(UnmanagedType.U1)] bool special);

    [LibraryImport(LibraryName)]
    public static partial int llama_chat_apply_template(
        byte* template,
        LlamaChatMessage* chat,
        nuint messageCount,
        [MarshalAs(UnmanagedType.U1)] bool addAssistant,
        byte* buf,
        int length);

    // Context

    [LibraryImport(LibraryName)]
    public static partial LlamaContextParams llama_context_default_params();

    [LibraryImport(LibraryName)]
    public static partial SafeLlamaContextHandle llama_init_from_model(SafeLlamaModelHandle model, LlamaContextParams parameters);

    [LibraryImport(LibraryName)]
    public static partial void llama_free(IntPtr context);

    [LibraryImport(LibraryName)]
    public static partial uint llama_n_ctx(SafeLlamaContextHandle context);

    [LibraryImport(LibraryName)]
    public static partial uint llama_n_ctx_seq(SafeLlamaContextHandle context);

    [LibraryImport(LibraryName)]
    public static partial uint llama_n_batch(SafeLlamaContextHandle context);

    [LibraryImport(LibraryName)]
    public static partial IntPtr llama_get_memory(SafeLlamaContextHandle context);

    [LibraryImport(LibraryName)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_memory_seq_rm(IntPtr memory, int seqId, int p0, int p1);

    [LibraryImport(LibraryName)]
    public static partial void llama_memory_clear(IntPtr memory, [MarshalAs(UnmanagedType.U1)] bool data);

    [LibraryImport(LibraryName)]
    public static partial int llama_memory_seq_pos_max(IntPtr memory, int seqId);

    /// <summary>
    /// <paramref name="abortCallback"/> (<c>ggml_abort_callback</c>: <c>bool (*)(void * data)</c>) is polled by the
    /// thread that called <c>llama_decode</c> between graph nodes; returning true makes the decode return 2.
    /// </summary>
    /// <summary>Decodes of <paramref name="context"/> run on these ggml CPU threadpools (single-token and batch graphs).</summary>
    [LibraryImport(LibraryName)]
    public static partial void llama_attach_threadpool(SafeLlamaContextHandle context, IntPtr threadpool, IntPtr threadpoolBatch);

    [LibraryImport(LibraryName)]
    public static partial void llama_detach_threadpool(SafeLlamaContextHandle context);

    [LibraryImport(LibraryName)]
    public static partial void llama_set_abort_callback(SafeLlamaContextHandle context, delegate* unmanaged[Cdecl]<IntPtr, byte> abortCallback, IntPtr abortCallbackData);

    // Batches and decoding

    [LibraryImport(LibraryName)]
    public static partial LlamaBatch llama_batch_init(int nTokens, int embd, int nSeqMax);

    [LibraryImport(LibraryName)]
    public static partial void llama_batch_free(LlamaBatch batch);

    [LibraryImport(LibraryName)]
    public static partial int llama_decode(SafeLlamaContextHandle context, LlamaBatch batch);

    /// <summary>Logits of the <paramref name="index"/>-th batch entry (it must have asked for output); null when it did not.</summary>
    [LibraryImport(LibraryName)]
    public static partial float* llama_get_logits_ith(SafeLlamaContextHandle context, int index);

    // Sampling

    [LibraryImport(LibraryName)]
    public static partial LlamaSamplerChainParams llama_sampler_chain_default_params();

    [LibraryImport(LibraryName)]
    public static partial SafeLlamaSamplerHandle llama_sampler_chain_init(LlamaSamplerChainParams parameters);

    /// <summary>Takes ownership of <paramref name="sampler"/>: the chain frees it.</summary>
    [LibraryImport(LibraryName)]
    public static partial void llama_sampler_chain_add(SafeLlamaSamplerHandle chain, IntPtr sampler);

    [LibraryImport(LibraryName)]
    public static partial void llama_sampler_free(IntPtr sampler);

    [LibraryImport(LibraryName)]
    public static partial IntPtr llama_sampler_init_greedy();

    [LibraryImport(LibraryName)]
    public static partial IntPtr llama_sampler_init_dist(uint seed);

    [LibraryImport(LibraryName)]
    public static partial IntPtr llama_sampler_init_top_k(int k);

    [LibraryImport(LibraryName)]
    public static partial IntPtr llama_sampler_init_top_p(float p, nuint minKeep);

    [LibraryImport(LibraryName)]
    public static partial IntPtr llama_sampler_init_min_p(float p, nuint minKeep);

    [LibraryImport(LibraryName)]
    public static partial IntPtr llama_sampler_init_temp(float t);

    [LibraryImport(LibraryName)]
    public static partial IntPtr llama_sampler_init_penalties(int nVocab, int penaltyLastN, float penaltyRepeat, float penaltyFreq, float penaltyPresent);

    /// <summary>Adds each entry's bias to its token's logit; llama.cpp copies the entries, so they need not outlive the call.</summary>
    [LibraryImport(LibraryName)]
    public static partial IntPtr llama_sampler_init_logit_bias(int nVocab, int nLogitBias, LlamaLogitBias* logitBias);

    [LibraryImport(LibraryName)]
    public static partial int llama_sampler_sample(SafeLlamaSamplerHandle sampler, SafeLlamaContextHandle context, int index);

    /// <summary>
    /// A grammar sampler over <paramref name="vocab"/> (GBNF text, start rule <paramref name="grammarRoot"/>); an invalid
    /// handle (NULL) when the grammar does not parse, has an undefined rule or is left-recursive.
    /// </summary>
    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial SafeLlamaSamplerHandle llama_sampler_init_grammar(IntPtr vocab, string grammarStr, string grammarRoot);

    /// <summary>Lets <paramref name="sampler"/> change the candidates' logits (a grammar sets the tokens it rejects to -inf).</summary>
    [LibraryImport(LibraryName)]
    public static partial void llama_sampler_apply(SafeLlamaSamplerHandle sampler, LlamaTokenDataArray* candidates);

    /// <summary>
    /// Advances the sampler's state past <paramref name="token"/>. A grammar sampler given a token it rejects throws a
    /// C++ exception through the C API (an end-of-generation token it does not allow aborts): the process dies.
    /// </summary>
    [LibraryImport(LibraryName)]
    public static partial void llama_sampler_accept(SafeLlamaSamplerHandle sampler, int token);

    /// <summary>Reads a NUL-terminated UTF-8 string owned by llama.cpp (null stays null).</summary>
    public static string? ReadUtf8(byte* text) => text is null ? null : Marshal.PtrToStringUTF8((IntPtr)text);
}

using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using SlmCluster.Inference.Native;
using Xunit;

namespace SlmCluster.UnitTests.Inference;

/// <summary>
/// Compiles a C probe against the llama.h of the shipped build and compares every bound struct's size and field
/// offsets with the C# declarations, and the native default parameters as C sees them with what P/Invoke returns.
/// </summary>
public sealed class NativeStructLayoutTests
{
    private static readonly (string CName, Type Managed, string[] Fields)[] Structs =
    [
        ("struct llama_model_params", typeof(LlamaModelParams),
        [
            "devices", "tensor_buft_overrides", "n_gpu_layers", "split_mode", "load_mode", "lazy_mode", "main_gpu",
            "tensor_split", "progress_callback", "progress_callback_user_data", "kv_overrides",
            "vocab_only", "check_tensors", "use_extra_bufts", "no_host", "no_alloc", "load_mtp",
        ]),
        ("struct llama_context_params", typeof(LlamaContextParams),
        [
            "n_ctx", "n_batch", "n_ubatch", "n_seq_max", "n_rs_seq", "n_outputs_max", "n_outputs_max_per_seq",
            "n_threads", "n_threads_batch", "ctx_type", "rope_scaling_type", "pooling_type", "attention_type",
            "flash_attn_type", "rope_freq_base", "rope_freq_scale", "yarn_ext_factor", "yarn_attn_factor",
            "yarn_beta_fast", "yarn_beta_slow", "yarn_orig_ctx", "defrag_thold", "cb_eval", "cb_eval_user_data",
            "type_k", "type_v", "abort_callback", "abort_callback_data", "embeddings", "offload_kqv", "no_perf",
            "op_offload", "swa_full", "kv_unified", "samplers", "n_samplers", "ctx_other",
        ]),
        ("struct llama_batch", typeof(LlamaBatch), ["n_tokens", "token", "embd", "pos", "n_seq_id", "seq_id", "logits"]),
        ("struct llama_sampler_chain_params", typeof(LlamaSamplerChainParams), ["no_perf"]),
        ("struct llama_chat_message", typeof(LlamaChatMessage), ["role", "content"]),
        ("struct llama_token_data", typeof(LlamaTokenData), ["id", "logit", "p"]),
        ("struct llama_token_data_array", typeof(LlamaTokenDataArray), ["data", "size", "selected", "sorted"]),
    ];

    // Default values compared between C (linked against the shipped libllama) and what P/Invoke returns.
    private static readonly string[] ModelDefaults = ["n_gpu_layers", "split_mode", "load_mode", "lazy_mode", "main_gpu", "vocab_only", "check_tensors", "use_extra_bufts", "no_host", "no_alloc", "load_mtp"];
    private static readonly string[] ContextDefaults = ["n_ctx", "n_batch", "n_ubatch", "n_seq_max", "n_rs_seq", "n_outputs_max", "n_threads", "n_threads_batch", "ctx_type", "rope_scaling_type", "pooling_type", "attention_type", "flash_attn_type", "yarn_orig_ctx", "type_k", "type_v", "embeddings", "offload_kqv", "no_perf", "op_offload", "swa_full", "kv_unified", "n_samplers"];

    private static readonly string[] ContextFloatDefaults = ["rope_freq_base", "rope_freq_scale", "yarn_ext_factor", "yarn_attn_factor", "yarn_beta_fast", "yarn_beta_slow", "defrag_thold"];

    private static readonly Lazy<Dictionary<string, string>> Probe = new(RunProbe);

    [Fact]
    public void Every_bound_struct_has_the_size_of_its_C_struct()
    {
        foreach ((string cName, Type managed, _) in Structs)
        {
            Assert.True(Marshal.SizeOf(managed) == long.Parse(Probe.Value[$"sizeof {cName}"], CultureInfo.InvariantCulture),
                $"{managed.Name}: C# {Marshal.SizeOf(managed)} bytes, C {Probe.Value[$"sizeof {cName}"]} bytes");
        }
    }

    [Fact]
    public void Every_field_of_every_bound_struct_is_at_its_C_offset_and_size()
    {
        foreach ((string cName, Type managed, string[] fields) in Structs)
        {
            FieldInfo[] managedFields = managed.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
            Assert.Equal(fields.Select(ToPascalCase), managedFields.Select(f => f.Name));
            foreach (string field in fields)
            {
                FieldInfo managedField = managedFields.Single(f => f.Name == ToPascalCase(field));
                long cOffset = long.Parse(Probe.Value[$"offsetof {cName}.{field}"], CultureInfo.InvariantCulture);
                long cSize = long.Parse(Probe.Value[$"sizeof {cName}.{field}"], CultureInfo.InvariantCulture);
                Assert.True(Marshal.OffsetOf(managed, managedField.Name) == cOffset,
                    $"{cName}.{field}: C# offset {Marshal.OffsetOf(managed, managedField.Name)}, C offset {cOffset}");
                Assert.True(FieldSize(managedField.FieldType) == cSize,
                    $"{cName}.{field}: C# size {FieldSize(managedField.FieldType)}, C size {cSize}");
            }
        }
    }

    [Fact]
    public void Constants_match_the_header()
    {
        Assert.Equal(Probe.Value["GGML_TYPE_COUNT"], GgmlApi.TypeCount.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(Probe.Value["LLAMA_DEFAULT_SEED"], LlamaApi.DefaultSeed.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(Probe.Value["LLAMA_TOKEN_NULL"], LlamaApi.TokenNull.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(Probe.Value["LLAMA_LOAD_MODE_MMAP"], LlamaModelParams.LoadModeMmap.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(Probe.Value["LLAMA_LOAD_MODE_NONE"], LlamaModelParams.LoadModeNone.ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Native_log_levels_map_to_logger_levels_by_their_header_values()
    {
        LogLevel Mapped(string name) => LlamaNativeLog.MapLevel(int.Parse(Probe.Value[name], CultureInfo.InvariantCulture));

        Assert.Equal(LogLevel.Error, Mapped("GGML_LOG_LEVEL_ERROR"));
        Assert.Equal(LogLevel.Warning, Mapped("GGML_LOG_LEVEL_WARN"));
        Assert.Equal(LogLevel.Debug, Mapped("GGML_LOG_LEVEL_INFO"));
        Assert.Equal(LogLevel.Trace, Mapped("GGML_LOG_LEVEL_DEBUG"));
    }

    [Fact]
    public void Default_parameters_returned_by_value_read_the_same_in_CSharp_as_in_C()
    {
        LlamaModelParams model = LlamaApi.llama_model_default_params();
        LlamaContextParams context = LlamaApi.llama_context_default_params();

        foreach (string field in ModelDefaults)
        {
            Assert.Equal(Probe.Value[$"default model.{field}"], FieldValue(model, field));
        }
        foreach (string field in ContextDefaults)
        {
            Assert.Equal(Probe.Value[$"default context.{field}"], FieldValue(context, field));
        }
        foreach (string field in ContextFloatDefaults)
        {
            float expected = float.Parse(Probe.Value[$"default context.{field}"], CultureInfo.InvariantCulture);
            Assert.Equal(expected, (float)typeof(LlamaContextParams).GetField(ToPascalCase(field))!.GetValue(context)!);
        }
        Assert.Equal(Probe.Value["default chain.no_perf"], LlamaApi.llama_sampler_chain_default_params().NoPerf.ToString(CultureInfo.InvariantCulture));
    }

    private static string FieldValue<T>(T value, string cField) where T : struct =>
        typeof(T).GetField(ToPascalCase(cField))!.GetValue(value) switch
        {
            nuint size => size.ToString(CultureInfo.InvariantCulture),
            object number => Convert.ToInt64(number, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture),
            null => "null",
        };

    internal static string ToPascalCase(string cName) =>
        string.Concat(cName.Split('_').Select(part => char.ToUpperInvariant(part[0]) + part[1..]));

    private static long FieldSize(Type type) => type.IsPointer ? IntPtr.Size : Marshal.SizeOf(type);

    private static Dictionary<string, string> RunProbe()
    {
        string headers = TestModels.LlamaHeadersDir;
        Assert.True(File.Exists(Path.Combine(headers, "llama.h")), $"llama.h not found in {headers}");
        string nativeDir = NativeLibraryResolver.NativeDirectory;
        string libllama = Directory.GetFiles(nativeDir, "libllama.v*.so").Single();

        string work = Directory.CreateTempSubdirectory("slm-layout-probe-").FullName;
        try
        {
            string source = Path.Combine(work, "probe.c");
            string binary = Path.Combine(work, "probe");
            File.WriteAllText(source, ProbeSource());
            Run("gcc", ["-std=c11", "-Wall", "-I", headers, source, "-o", binary, "-L", nativeDir, $"-l:{Path.GetFileName(libllama)}", $"-Wl,-rpath,{nativeDir}"]);
            string output = Run(binary, []);
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split('=', 2))
                .ToDictionary(parts => parts[0], parts => parts[1].Trim());
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string ProbeSource()
    {
        var c = new StringBuilder();
        c.AppendLine("#include <stdio.h>\n#include <stddef.h>\n#include \"llama.h\"");
        c.AppendLine("int main(void) {");
        foreach ((string cName, _, string[] fields) in Structs)
        {
            c.AppendLine($"  printf(\"sizeof {cName}=%zu\\n\", sizeof({cName}));");
            foreach (string field in fields)
            {
                c.AppendLine($"  printf(\"offsetof {cName}.{field}=%zu\\n\", offsetof({cName}, {field}));");
                c.AppendLine($"  printf(\"sizeof {cName}.{field}=%zu\\n\", sizeof((({cName}*)0)->{field}));");
            }
        }
        c.AppendLine("  printf(\"GGML_TYPE_COUNT=%d\\n\", (int)GGML_TYPE_COUNT);");
        c.AppendLine("  printf(\"LLAMA_DEFAULT_SEED=%u\\n\", (unsigned)LLAMA_DEFAULT_SEED);");
        c.AppendLine("  printf(\"LLAMA_TOKEN_NULL=%d\\n\", (int)LLAMA_TOKEN_NULL);");
        c.AppendLine("  printf(\"LLAMA_LOAD_MODE_MMAP=%d\\n\", (int)LLAMA_LOAD_MODE_MMAP);");
        c.AppendLine("  printf(\"LLAMA_LOAD_MODE_NONE=%d\\n\", (int)LLAMA_LOAD_MODE_NONE);");
        foreach (string level in new[] { "DEBUG", "INFO", "WARN", "ERROR" })
        {
            c.AppendLine($"  printf(\"GGML_LOG_LEVEL_{level}=%d\\n\", (int)GGML_LOG_LEVEL_{level});");
        }
        c.AppendLine("  struct llama_model_params m = llama_model_default_params();");
        c.AppendLine("  struct llama_context_params x = llama_context_default_params();");
        c.AppendLine("  struct llama_sampler_chain_params s = llama_sampler_chain_default_params();");
        foreach (string field in ModelDefaults)
        {
            c.AppendLine($"  printf(\"default model.{field}=%lld\\n\", (long long)m.{field});");
        }
        foreach (string field in ContextDefaults)
        {
            c.AppendLine($"  printf(\"default context.{field}=%lld\\n\", (long long)x.{field});");
        }
        foreach (string field in ContextFloatDefaults)
        {
            // %.9g round-trips a float.
            c.AppendLine($"  printf(\"default context.{field}=%.9g\\n\", (double)x.{field});");
        }
        c.AppendLine("  printf(\"default chain.no_perf=%d\\n\", (int)s.no_perf);");
        c.AppendLine("  return 0;\n}");
        return c.ToString();
    }

    private static string Run(string fileName, string[] arguments)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) => stderr.AppendLine(e.Data);
        process.BeginErrorReadLine();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), $"{fileName} did not finish");
        Assert.True(process.ExitCode == 0, $"{fileName} {string.Join(' ', arguments)} failed ({process.ExitCode}): {stderr}");
        return stdout;
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SlmCluster.Inference.Native;

/// <summary>
/// Routes llama.cpp's and ggml's log (one process-wide callback) to an <see cref="ILogger"/>.
/// llama.cpp writes a line in pieces (level CONT continues the previous one), so pieces are
/// gathered per thread until a newline.
/// </summary>
internal static unsafe class LlamaNativeLog
{
    public const string CategoryName = "SlmCluster.Inference.LlamaCpp";

    // ggml_log_level
    private const int LevelDebug = 1;
    private const int LevelInfo = 2;
    private const int LevelWarn = 3;
    private const int LevelError = 4;
    private const int LevelCont = 5;

    private static volatile ILogger s_logger = NullLogger.Instance;

    [ThreadStatic] private static StringBuilder? s_line;
    [ThreadStatic] private static LogLevel s_lineLevel;
    [ThreadStatic] private static string? s_lastError;

    /// <summary>Points the native log at <paramref name="loggerFactory"/> (the latest factory wins: the callback is global).</summary>
    public static void UseLoggerFactory(ILoggerFactory? loggerFactory)
    {
        if (loggerFactory is not null)
        {
            s_logger = loggerFactory.CreateLogger(CategoryName);
        }
    }

    /// <summary>Installs the callback; called once by <see cref="LlamaBackend"/>.</summary>
    public static void Install() => LlamaApi.llama_log_set(&OnLog, null);

    /// <summary>The last error line llama.cpp logged on this thread, for exception messages.</summary>
    public static string? TakeLastError()
    {
        string? error = s_lastError;
        s_lastError = null;
        return error;
    }

    /// <summary>Maps a ggml log level; llama.cpp's INFO is load-time chatter, so it lands at Debug.</summary>
    internal static LogLevel MapLevel(int level) => level switch
    {
        LevelError => LogLevel.Error,
        LevelWarn => LogLevel.Warning,
        LevelInfo => LogLevel.Debug,
        LevelDebug => LogLevel.Trace,
        _ => LogLevel.Debug,
    };

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnLog(int level, byte* text, void* userData)
    {
        try
        {
            string? piece = LlamaApi.ReadUtf8(text);
            if (string.IsNullOrEmpty(piece))
            {
                return;
            }
            StringBuilder line = s_line ??= new StringBuilder();
            if (level != LevelCont)
            {
                if (line.Length > 0)
                {
                    Flush(line);
                }
                s_lineLevel = MapLevel(level);
            }
            line.Append(piece);
            if (piece.EndsWith('\n'))
            {
                Flush(line);
            }
        }
        catch (Exception)
        {
            // An exception must never unwind into native code; a lost log line is the lesser harm.
        }
    }

    private static void Flush(StringBuilder line)
    {
        string message = line.ToString().TrimEnd('\n', '\r', ' ');
        line.Clear();
        if (message.Length == 0)
        {
            return;
        }
        if (s_lineLevel >= LogLevel.Error)
        {
            s_lastError = message;
        }
        ILogger logger = s_logger;
        if (logger.IsEnabled(s_lineLevel))
        {
            logger.Log(s_lineLevel, "{NativeMessage}", message);
        }
    }
}

using System.Runtime.InteropServices;

namespace SlmCluster.Inference.Native;

/// <summary><c>struct llama_chat_message</c>: two NUL-terminated UTF-8 strings the caller keeps alive.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct LlamaChatMessage
{
    public byte* Role;
    public byte* Content;
}

using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace DeepPcr.Platform;

/// <summary>Runs <see cref="LibTorchLoadCheck"/> when the DeepPcr assembly is first used.</summary>
internal static class DeepPcrModuleInitializer
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "The check must precede TorchSharp's initialiser, whichever DeepPcr type is used first.")]
    internal static void Initialize() => LibTorchLoadCheck.EnsureLoadable();
}

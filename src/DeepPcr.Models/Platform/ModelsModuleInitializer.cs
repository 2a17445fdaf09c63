using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using DeepPcr.Platform;

namespace DeepPcr.Models.Platform;

/// <summary>
/// Runs <see cref="LibTorchLoadCheck"/> when DeepPcr.Models is first used: a model can make tensors before it
/// touches any DeepPcr type.
/// </summary>
internal static class ModelsModuleInitializer
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "The check must precede TorchSharp's initialiser, whichever model type is used first.")]
    internal static void Initialize() => LibTorchLoadCheck.EnsureLoadable();
}

using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends.PTX;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace DeepPcr.GpuCheck;

/// <summary>A named way to build an ILGPU context: which accelerators it lists and how.</summary>
/// <param name="Name">Short name, as written to the JSON output.</param>
/// <param name="Description">What the builder does, in code form.</param>
/// <param name="Configure">The builder configuration.</param>
public sealed record ContextRecipe(string Name, string Description, Action<Context.Builder> Configure)
{
    /// <summary>ILGPU's default: the CPU accelerator plus every CUDA and OpenCL device it supports.</summary>
    public static ContextRecipe Default { get; } = new(
        "default",
        "builder.Default().EnableAlgorithms()",
        b => b.Default().EnableAlgorithms());

    /// <summary>
    /// CUDA devices whose PTX instruction set ILGPU did not pick (or does not support) are given
    /// the newest one it supports (PTX ISA 8.8 in ILGPU 1.5.3), then filtered as usual.
    /// </summary>
    public static ContextRecipe CudaIsaOverride { get; } = new(
        "cuda-isa-override",
        "builder.DefaultCPU().Cuda(o => o.InstructionSet ??= newest supported ISA).EnableAlgorithms()",
        b => b.DefaultCPU().Cuda(ForceSupportedInstructionSet).EnableAlgorithms());

    /// <summary>
    /// Every CUDA device ILGPU can describe, made to emit PTX ISA 8.0 (CUDA 12.0's): tried for the kernel
    /// when the first CUDA kernel fails, in case the driver's JIT refuses the newer PTX.
    /// </summary>
    public static ContextRecipe CudaIsa80 { get; } = new(
        "cuda-isa-8.0",
        "builder.DefaultCPU().Cuda(o => o.InstructionSet = ISA 8.0).EnableAlgorithms()",
        b => b.DefaultCPU().Cuda(o => o.InstructionSet = CudaInstructionSet.ISA_80).EnableAlgorithms());

    /// <summary>Every CUDA device the driver reports, with no filter (a listing, it may not run kernels).</summary>
    public static ContextRecipe CudaAnyDevice { get; } = new(
        "cuda-any-device",
        "builder.DefaultCPU().Cuda(device => true).EnableAlgorithms()",
        b => b.DefaultCPU().Cuda(_ => true).EnableAlgorithms());

    /// <summary>ILGPU's "all accelerators" listing.</summary>
    public static ContextRecipe AllAccelerators { get; } = new(
        "all-accelerators",
        "builder.AllAccelerators().EnableAlgorithms()",
        b => b.AllAccelerators().EnableAlgorithms());

    /// <summary>The recipes tried when the default lists no CUDA device, in order.</summary>
    public static IReadOnlyList<ContextRecipe> Retries { get; } = [CudaIsaOverride, CudaAnyDevice, AllAccelerators];

    /// <summary>Every recipe, by name.</summary>
    public static IReadOnlyList<ContextRecipe> All { get; } = [Default, .. Retries, CudaIsa80];

    /// <summary>The newest PTX instruction set ILGPU's PTX backend can emit.</summary>
    public static CudaInstructionSet NewestSupportedInstructionSet =>
        PTXCodeGenerator.SupportedInstructionSets.Max();

    /// <summary>Creates a context with this recipe.</summary>
    /// <returns>The new context; the caller disposes it.</returns>
    public Context Create() => Context.Create(Configure);

    private static void ForceSupportedInstructionSet(CudaDeviceOverride device)
    {
        if (device.InstructionSet is not { } isa || !PTXCodeGenerator.SupportedInstructionSets.Contains(isa))
            device.InstructionSet = NewestSupportedInstructionSet;
    }
}

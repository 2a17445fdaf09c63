using System.Reflection;
using DeepPcr.Gpu.Kernels;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace DeepPcr.Gpu.Tests;

/// <summary>
/// Every kernel compiles to PTX for an H100 (architecture sm_90, ILGPU's newest PTX ISA) without a GPU: the CPU accelerator runs the kernels' .NET code
/// directly, so only this shows that ILGPU's CUDA backend accepts them (structs of views, dynamic and static
/// shared memory, barriers in helpers, atomics, float64 sums).
/// </summary>
public sealed class PtxCompileTests
{
    public static TheoryData<string, bool> Kernels() => new()
    {
        { nameof(LayerKernels) + "." + nameof(LayerKernels.Evaluate), false },
        { nameof(LayerKernels) + "." + nameof(LayerKernels.Jacobian), false },
        { nameof(LayerKernels) + "." + nameof(LayerKernels.ReversedTransposedJacobian), false },
        { nameof(LayerKernels) + "." + nameof(LayerKernels.DeerRightHandSide), false },
        { nameof(PcrKernels) + "." + nameof(PcrKernels.Fold), false },
        { nameof(PcrKernels) + "." + nameof(PcrKernels.RoundPerEntry), false },
        { nameof(PcrKernels) + "." + nameof(PcrKernels.RoundTiled), true },
        { nameof(NewtonKernels) + "." + nameof(NewtonKernels.UpdateAndMeasure), true },
        { nameof(GradientKernels) + "." + nameof(GradientKernels.Parameters), false },
        { nameof(GradientKernels) + "." + nameof(GradientKernels.Input), false },
        { nameof(SequentialKernels) + "." + nameof(SequentialKernels.LayerForward), false },
        { nameof(SequentialKernels) + "." + nameof(SequentialKernels.LayerBackward), false },
        { nameof(SequentialKernels) + "." + nameof(SequentialKernels.PersistentForward), true },
        { nameof(SequentialKernels) + "." + nameof(SequentialKernels.PersistentBackward), true },
        { nameof(OneGroupKernels) + "." + nameof(OneGroupKernels.NewtonIteration), true },
        { nameof(OneGroupKernels) + "." + nameof(OneGroupKernels.NewtonLoop), true },
        { nameof(OneGroupKernels) + "." + nameof(OneGroupKernels.Backward), true },
        { nameof(RecurrentKernels) + "." + nameof(RecurrentKernels.Project), false },
        { nameof(RecurrentKernels) + "." + nameof(RecurrentKernels.Evaluate), false },
        { nameof(RecurrentKernels) + "." + nameof(RecurrentKernels.BlockDiagonalRound), false },
        { nameof(RecurrentKernels) + "." + nameof(RecurrentKernels.Sequential), false },
        { nameof(RecurrentKernels) + "." + nameof(RecurrentKernels.ReversedAdjoint), false },
        { nameof(RecurrentKernels) + "." + nameof(RecurrentKernels.SequentialAdjoint), false },
        { nameof(RecurrentKernels) + "." + nameof(RecurrentKernels.Deltas), false },
        { nameof(RecurrentKernels) + "." + nameof(RecurrentKernels.InputGradient), false },
        { nameof(RecurrentKernels) + "." + nameof(RecurrentKernels.ParameterPartials), false },
        { nameof(RecurrentKernels) + "." + nameof(RecurrentKernels.ParameterSums), false },
        { nameof(NewtonKernels) + "." + nameof(NewtonKernels.NotFinite), false },
    };

    [Theory]
    [MemberData(nameof(Kernels))]
    public void CompilesToPtxForAnH100(string name, bool explicitlyGrouped)
    {
        var parts = name.Split('.');
        var type = typeof(LayerKernels).Assembly.GetType($"DeepPcr.Gpu.Kernels.{parts[0]}")!;
        var method = type.GetMethod(parts[1], BindingFlags.Public | BindingFlags.Static)!;
        using var context = Context.Create(b => b.DefaultCPU().EnableAlgorithms());
        using var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_90), CudaArchitecture.SM_90, PTXCodeGenerator.SupportedInstructionSets.Max(), null);
        var entry = explicitlyGrouped ? EntryPointDescription.FromExplicitlyGroupedKernel(method) : EntryPointDescription.FromImplicitlyGroupedKernel(method);
        var compiled = (PTXCompiledKernel)backend.Compile(entry, default(KernelSpecialization));
        Assert.Contains(".target sm_", compiled.PTXAssembly);
        Assert.Contains(".entry", compiled.PTXAssembly);
        Assert.DoesNotContain("ex2.approx", compiled.PTXAssembly);   // no exp-based tanh (see DeviceMath.Tanh)
    }
}

using DeepPcr.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace DeepPcr.Gpu.Engine;

/// <summary>
/// Every kernel of the engine, compiled once per accelerator and held as launch delegates that take the
/// stream first. Implicitly grouped kernels take their index space; explicitly grouped ones a <see cref="KernelConfig"/>.
/// </summary>
public sealed class KernelSet
{
    /// <summary>Compiles every kernel for the accelerator.</summary>
    /// <param name="accelerator">The accelerator.</param>
    public KernelSet(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        Evaluate = accelerator.LoadAutoGroupedKernel<Index1D, ChainDims, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(LayerKernels.Evaluate);
        Jacobian = accelerator.LoadAutoGroupedKernel<Index1D, ChainDims, ArrayView<float>, ArrayView<float>, ArrayView<float>>(LayerKernels.Jacobian);
        ReversedTransposedJacobian = accelerator.LoadAutoGroupedKernel<Index1D, ChainDims, ArrayView<float>, ArrayView<float>, ArrayView<float>>(LayerKernels.ReversedTransposedJacobian);
        DeerRightHandSide = accelerator.LoadAutoGroupedKernel<Index1D, ChainDims, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(LayerKernels.DeerRightHandSide);
        Fold = accelerator.LoadAutoGroupedKernel<Index1D, ChainDims, ArrayView<float>, ArrayView<float>, ArrayView<float>>(PcrKernels.Fold);
        RoundPerEntry = accelerator.LoadAutoGroupedKernel<Index1D, ChainDims, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(PcrKernels.RoundPerEntry);
        RoundTiled = accelerator.LoadKernel<ChainDims, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(PcrKernels.RoundTiled);
        UpdateAndMeasure = accelerator.LoadKernel<int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, float, float>(NewtonKernels.UpdateAndMeasure);
        ParameterGradients = accelerator.LoadAutoGroupedKernel<Index1D, ChainDims, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>, ArrayView<float>>(GradientKernels.Parameters);
        InputGradient = accelerator.LoadAutoGroupedKernel<Index1D, ChainDims, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>>(GradientKernels.Input);
        LayerForward = accelerator.LoadAutoGroupedKernel<Index1D, ChainDims, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(SequentialKernels.LayerForward);
        LayerBackward = accelerator.LoadAutoGroupedKernel<Index1D, ChainDims, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>(SequentialKernels.LayerBackward);
        PersistentForward = accelerator.LoadKernel<ChainDims, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(SequentialKernels.PersistentForward);
        OneGroupNewtonIteration = accelerator.LoadKernel<ChainViews, ChainDims, float, float>(OneGroupKernels.NewtonIteration);
        OneGroupBackward = accelerator.LoadKernel<ChainViews, ArrayView<float>, ChainDims>(OneGroupKernels.Backward);
        OneGroupNewtonLoop = accelerator.LoadKernel<ChainViews, ChainDims, float, float, int, int>(OneGroupKernels.NewtonLoop);
        OneGroupNewtonShape = LaunchShapes.OneGroup(accelerator, OneGroupNewtonIteration.GetKernel());
        OneGroupLoopShape = LaunchShapes.OneGroup(accelerator, OneGroupNewtonLoop.GetKernel());
        OneGroupBackwardShape = LaunchShapes.OneGroup(accelerator, OneGroupBackward.GetKernel());
        PersistentBackward = accelerator.LoadKernel<ChainDims, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(SequentialKernels.PersistentBackward);
        NotFinite = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<int>, int>(NewtonKernels.NotFinite);
    }

    /// <summary><see cref="LayerKernels.Evaluate"/>.</summary>
    public Action<AcceleratorStream, Index1D, ChainDims, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> Evaluate { get; }

    /// <summary><see cref="LayerKernels.Jacobian"/>.</summary>
    public Action<AcceleratorStream, Index1D, ChainDims, ArrayView<float>, ArrayView<float>, ArrayView<float>> Jacobian { get; }

    /// <summary><see cref="LayerKernels.ReversedTransposedJacobian"/>.</summary>
    public Action<AcceleratorStream, Index1D, ChainDims, ArrayView<float>, ArrayView<float>, ArrayView<float>> ReversedTransposedJacobian { get; }

    /// <summary><see cref="LayerKernels.DeerRightHandSide"/>.</summary>
    public Action<AcceleratorStream, Index1D, ChainDims, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> DeerRightHandSide { get; }

    /// <summary><see cref="PcrKernels.Fold"/>.</summary>
    public Action<AcceleratorStream, Index1D, ChainDims, ArrayView<float>, ArrayView<float>, ArrayView<float>> Fold { get; }

    /// <summary><see cref="PcrKernels.RoundPerEntry"/>.</summary>
    public Action<AcceleratorStream, Index1D, ChainDims, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> RoundPerEntry { get; }

    /// <summary><see cref="PcrKernels.RoundTiled"/>.</summary>
    public Action<AcceleratorStream, KernelConfig, ChainDims, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> RoundTiled { get; }

    /// <summary><see cref="NewtonKernels.UpdateAndMeasure"/>.</summary>
    public Action<AcceleratorStream, KernelConfig, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, float, float> UpdateAndMeasure { get; }

    /// <summary><see cref="GradientKernels.Parameters"/>.</summary>
    public Action<AcceleratorStream, Index1D, ChainDims, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>, ArrayView<float>> ParameterGradients { get; }

    /// <summary><see cref="GradientKernels.Input"/>.</summary>
    public Action<AcceleratorStream, Index1D, ChainDims, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>> InputGradient { get; }

    /// <summary><see cref="SequentialKernels.LayerForward"/>.</summary>
    public Action<AcceleratorStream, Index1D, ChainDims, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> LayerForward { get; }

    /// <summary><see cref="SequentialKernels.LayerBackward"/>.</summary>
    public Action<AcceleratorStream, Index1D, ChainDims, int, ArrayView<float>, ArrayView<float>, ArrayView<float>> LayerBackward { get; }

    /// <summary><see cref="SequentialKernels.PersistentForward"/>.</summary>
    public Action<AcceleratorStream, KernelConfig, ChainDims, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> PersistentForward { get; }

    /// <summary><see cref="OneGroupKernels.NewtonIteration"/>.</summary>
    public Action<AcceleratorStream, KernelConfig, ChainViews, ChainDims, float, float> OneGroupNewtonIteration { get; }

    /// <summary><see cref="OneGroupKernels.Backward"/>.</summary>
    public Action<AcceleratorStream, KernelConfig, ChainViews, ArrayView<float>, ChainDims> OneGroupBackward { get; }

    /// <summary><see cref="OneGroupKernels.NewtonLoop"/>.</summary>
    public Action<AcceleratorStream, KernelConfig, ChainViews, ChainDims, float, float, int, int> OneGroupNewtonLoop { get; }

    /// <summary>The launch of <see cref="OneGroupNewtonLoop"/>.</summary>
    public KernelConfig OneGroupLoopShape { get; }

    /// <summary>The launch of <see cref="OneGroupNewtonIteration"/>: one group, as large as the kernel's registers allow.</summary>
    public KernelConfig OneGroupNewtonShape { get; }

    /// <summary>The launch of <see cref="OneGroupBackward"/>.</summary>
    public KernelConfig OneGroupBackwardShape { get; }

    /// <summary><see cref="SequentialKernels.PersistentBackward"/>.</summary>
    public Action<AcceleratorStream, KernelConfig, ChainDims, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> PersistentBackward { get; }

    /// <summary><see cref="NewtonKernels.NotFinite"/>.</summary>
    public Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, int> NotFinite { get; }
}

using DeepPcr.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace DeepPcr.Gpu.Engine;

/// <summary>The recurrent engine's kernels (<see cref="RecurrentKernels"/>), compiled once per accelerator, as launch delegates that take the stream first.</summary>
public sealed class RecurrentKernelSet
{
    /// <summary>Compiles every recurrent kernel for the accelerator.</summary>
    /// <param name="accelerator">The accelerator.</param>
    public RecurrentKernelSet(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        Project = accelerator.LoadAutoGroupedKernel<Index1D, RecurrentDims, RecurrentViews>(RecurrentKernels.Project);
        Evaluate = accelerator.LoadAutoGroupedKernel<Index1D, RecurrentDims, RecurrentViews, ArrayView<float>, int>(RecurrentKernels.Evaluate);
        Round = accelerator.LoadAutoGroupedKernel<Index1D, RecurrentDims, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(RecurrentKernels.BlockDiagonalRound);
        Sequential = accelerator.LoadAutoGroupedKernel<Index1D, RecurrentDims, RecurrentViews, ArrayView<float>>(RecurrentKernels.Sequential);
        ReversedAdjoint = accelerator.LoadAutoGroupedKernel<Index1D, RecurrentDims, RecurrentViews, ArrayView<float>>(RecurrentKernels.ReversedAdjoint);
        SequentialAdjoint = accelerator.LoadAutoGroupedKernel<Index1D, RecurrentDims, RecurrentViews, ArrayView<float>, ArrayView<float>>(RecurrentKernels.SequentialAdjoint);
        Deltas = accelerator.LoadAutoGroupedKernel<Index1D, RecurrentDims, RecurrentViews, ArrayView<float>, ArrayView<float>>(RecurrentKernels.Deltas);
        InputGradient = accelerator.LoadAutoGroupedKernel<Index1D, RecurrentDims, RecurrentViews>(RecurrentKernels.InputGradient);
        ParameterPartials = accelerator.LoadAutoGroupedKernel<Index1D, RecurrentDims, RecurrentViews, ArrayView<float>>(RecurrentKernels.ParameterPartials);
        ParameterSums = accelerator.LoadAutoGroupedKernel<Index1D, RecurrentDims, RecurrentViews, int>(RecurrentKernels.ParameterSums);
    }

    /// <summary><see cref="RecurrentKernels.Project"/>.</summary>
    public Action<AcceleratorStream, Index1D, RecurrentDims, RecurrentViews> Project { get; }

    /// <summary><see cref="RecurrentKernels.Evaluate"/>.</summary>
    public Action<AcceleratorStream, Index1D, RecurrentDims, RecurrentViews, ArrayView<float>, int> Evaluate { get; }

    /// <summary><see cref="RecurrentKernels.BlockDiagonalRound"/>.</summary>
    public Action<AcceleratorStream, Index1D, RecurrentDims, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> Round { get; }

    /// <summary><see cref="RecurrentKernels.Sequential"/>.</summary>
    public Action<AcceleratorStream, Index1D, RecurrentDims, RecurrentViews, ArrayView<float>> Sequential { get; }

    /// <summary><see cref="RecurrentKernels.ReversedAdjoint"/>.</summary>
    public Action<AcceleratorStream, Index1D, RecurrentDims, RecurrentViews, ArrayView<float>> ReversedAdjoint { get; }

    /// <summary><see cref="RecurrentKernels.SequentialAdjoint"/>.</summary>
    public Action<AcceleratorStream, Index1D, RecurrentDims, RecurrentViews, ArrayView<float>, ArrayView<float>> SequentialAdjoint { get; }

    /// <summary><see cref="RecurrentKernels.Deltas"/>.</summary>
    public Action<AcceleratorStream, Index1D, RecurrentDims, RecurrentViews, ArrayView<float>, ArrayView<float>> Deltas { get; }

    /// <summary><see cref="RecurrentKernels.InputGradient"/>.</summary>
    public Action<AcceleratorStream, Index1D, RecurrentDims, RecurrentViews> InputGradient { get; }

    /// <summary><see cref="RecurrentKernels.ParameterPartials"/>.</summary>
    public Action<AcceleratorStream, Index1D, RecurrentDims, RecurrentViews, ArrayView<float>> ParameterPartials { get; }

    /// <summary><see cref="RecurrentKernels.ParameterSums"/>.</summary>
    public Action<AcceleratorStream, Index1D, RecurrentDims, RecurrentViews, int> ParameterSums { get; }
}

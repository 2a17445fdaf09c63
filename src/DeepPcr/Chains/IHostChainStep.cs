using System.Numerics;
using static TorchSharp.torch;

namespace DeepPcr.Chains;

/// <summary>
/// A step that can also run on plain host memory, without a framework call per operation: the solvers then keep
/// a whole Newton solve (evaluations, Jacobians, PCR) in hand-written kernels for CPU tensors of float32 or float64.
/// The tensor methods of <see cref="IChainStep"/> stay the reference and serve every other case.
/// </summary>
public interface IHostChainStep : IChainStep
{
    /// <summary>True when <see cref="EvaluateOnHost{T}"/> applies to states of this dtype (the step's parameters
    /// live on the CPU in that dtype and can be read in place).</summary>
    bool SupportsHost(ScalarType dtype);

    /// <summary>
    /// Evaluates steps first..first+n-1, each on its own input, and optionally their Jacobians in the declared structure
    /// (<see cref="IChainStep.JacobianStructure"/>).
    /// </summary>
    /// <param name="first">Index of the first step.</param>
    /// <param name="batch">B.</param>
    /// <param name="inputs">(n, B, w) row-major: inputs[j] = z_{first+j}.</param>
    /// <param name="outputs">(n, B, w) row-major, written: f_{first+j}(inputs[j]).</param>
    /// <param name="jacobian">Empty, or written in the planar layout: entry e of the block of row r = j' B + b (step
    /// first + j', sample b) at jacobian[e * stride + r], the entries in the order of the declared structure's block shape:
    /// dense (i, j) at e = i w + j; diagonal e = i; block-diagonal [i, j, m] at e = (i k + j) w / k + m.</param>
    /// <param name="stride">The plane stride of <paramref name="jacobian"/> (at least n B).</param>
    void EvaluateOnHost<T>(int first, int batch, ReadOnlySpan<T> inputs, Span<T> outputs, Span<T> jacobian, long stride)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// The sequential pass over steps first..first+n-1 from <paramref name="start"/>: states[k] = f_{first+k}(states[k-1]).
    /// The default evaluates one step at a time; steps override it with a loop that reads their parameters once.
    /// </summary>
    /// <param name="first">Index of the first step.</param>
    /// <param name="batch">B.</param>
    /// <param name="start">(B, w) row-major.</param>
    /// <param name="states">(n, B, w) row-major, written.</param>
    void RunSequentialOnHost<T>(int first, int batch, ReadOnlySpan<T> start, Span<T> states)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rowSize = start.Length, count = states.Length / rowSize;
        if (count == 0) return;
        EvaluateOnHost(first, batch, start, states.Slice(0, rowSize), Span<T>.Empty, 0);
        for (int k = 1; k < count; k++)
        {
            EvaluateOnHost<T>(first + k, batch, states.Slice((k - 1) * rowSize, rowSize), states.Slice(k * rowSize, rowSize), Span<T>.Empty, 0);
        }
    }
}

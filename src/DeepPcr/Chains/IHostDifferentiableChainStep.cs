using System.Numerics;
using static TorchSharp.torch;

namespace DeepPcr.Chains;

/// <summary>
/// A differentiable step with host kernels that also gives its parameter gradients from host memory, reusing the
/// outputs the backward pass has already evaluated (so the parallel backward evaluates every step only once).
/// </summary>
public interface IHostDifferentiableChainStep : IHostChainStep, IDifferentiableChainStep
{
    /// <summary>
    /// The gradients of sum_l lambda_l · f_l(z_l) with respect to <see cref="IDifferentiableChainStep.Parameters"/>,
    /// one tensor per parameter, in its shape and dtype.
    /// </summary>
    /// <param name="batch">B.</param>
    /// <param name="inputs">(L, B, w) row-major: the input of every step.</param>
    /// <param name="outputs">(L, B, w) row-major: f_l at those inputs.</param>
    /// <param name="cotangents">(L, B, w) row-major: lambda_l, the cotangent of every step's output.</param>
    IReadOnlyList<Tensor> ParameterGradientsOnHost<T>(int batch, ReadOnlySpan<T> inputs, ReadOnlySpan<T> outputs, ReadOnlySpan<T> cotangents)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>True when <see cref="BackwardFromStatesOnHost{T}"/> applies to states of this dtype. The default: false.</summary>
    bool SupportsBackwardFromStates(ScalarType dtype) => false;

    /// <summary>
    /// The backward pass over the step's own sequential pass without a Jacobian: from L down to 1, each step's
    /// vector-Jacobian product reads its slope from the state it produced (as a fused loop's backward pass reads its
    /// tape), accumulating the parameter gradients in the same sweep. Exact when z_{l+1} = f_l(z_l), which the
    /// sequential pass guarantees; callers use it only for such states (see
    /// <see cref="Backward.AdjointSolver.Solve(IChainStep, Tensor, Solvers.ChainSolution, Tensor, Backward.AdjointMethod, bool)"/>).
    /// The default throws: call it only where <see cref="SupportsBackwardFromStates"/> holds.
    /// </summary>
    /// <param name="batch">B.</param>
    /// <param name="start">(B, w) row-major: z_0.</param>
    /// <param name="states">(L, B, w) row-major: z_1..z_L of the sequential pass from it.</param>
    /// <param name="cotangents">(B, w): dLoss/dz_L; or (L, B, w): g_1..g_L, the direct cotangent of every state.</param>
    /// <param name="lambdas">(L, B, w), written: lambda_1..lambda_L = dLoss/dz_l; or empty when the caller wants none.</param>
    /// <param name="inputGradient">(B, w), written: dLoss/dz_0.</param>
    /// <returns>One gradient per parameter, in its shape and dtype.</returns>
    IReadOnlyList<Tensor> BackwardFromStatesOnHost<T>(int batch, ReadOnlySpan<T> start, ReadOnlySpan<T> states, ReadOnlySpan<T> cotangents, Span<T> lambdas, Span<T> inputGradient)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        throw new NotSupportedException($"{GetType().Name} has no backward pass from its states; check SupportsBackwardFromStates first.");
}

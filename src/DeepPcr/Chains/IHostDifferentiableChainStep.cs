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
}

using System.Numerics;
using static TorchSharp.torch;

namespace DeepPcr.Chains;

/// <summary>
/// A driven step with host kernels that gives its parameter gradients and its step-input gradients together from host
/// memory (for a recurrent cell both are reductions of the same pre-activation cotangents, computed once).
/// </summary>
public interface IHostDrivenChainStep : IHostDifferentiableChainStep, IDrivenChainStep
{
    /// <summary>
    /// The gradients of sum_l lambda_l · f_l(z_l, x_l) with respect to <see cref="IDifferentiableChainStep.Parameters"/>
    /// (one tensor per parameter, in its shape and dtype) and to the step inputs x_l ((L, B, I)).
    /// </summary>
    /// <param name="batch">B.</param>
    /// <param name="inputs">(L, B, w) row-major: the input of every step.</param>
    /// <param name="outputs">(L, B, w) row-major: f_l at those inputs.</param>
    /// <param name="cotangents">(L, B, w) row-major: lambda_l.</param>
    (IReadOnlyList<Tensor> Parameters, Tensor StepInputs) GradientsOnHost<T>(int batch, ReadOnlySpan<T> inputs, ReadOnlySpan<T> outputs, ReadOnlySpan<T> cotangents)
        where T : unmanaged, IFloatingPointIeee754<T>;
}

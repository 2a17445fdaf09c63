using static TorchSharp.torch;

namespace DeepPcr.Chains;

/// <summary>
/// A chain with an input of its own at every step: z_{k+1} = f_k(z_k, x_k; theta), x_k of width I (the time steps of a
/// recurrent network, whose input projections are one batched product before the solve). The Newton loop sees only
/// <see cref="IChainStep.Evaluate"/>, which reads the rows of <see cref="StepInputs"/> of the steps it evaluates; the
/// backward pass also returns dLoss/dx_k for every k (<see cref="Backward.AdjointSolution.StepInputGradients"/>).
/// </summary>
public interface IDrivenChainStep : IDifferentiableChainStep
{
    /// <summary>(L, B, I): x_0..x_{L-1}; step k reads row k.</summary>
    Tensor StepInputs { get; }

    /// <summary>
    /// Evaluates steps first..first+n-1 with the given step inputs instead of <see cref="StepInputs"/>' rows (the backward
    /// pass differentiates through them).
    /// </summary>
    /// <param name="first">Index of the first step.</param>
    /// <param name="inputs">(n, B, w): z_first..z_{first+n-1}.</param>
    /// <param name="stepInputs">(n, B, I): x_first..x_{first+n-1}.</param>
    /// <returns>(n, B, w).</returns>
    Tensor EvaluateDriven(int first, Tensor inputs, Tensor stepInputs);

    /// <summary>
    /// The analytic (df_k/dx_k)^T cotangents[k] for every step k, (L, B, I); null when the step has none, and then one
    /// autograd call over the batched step gives them.
    /// </summary>
    /// <param name="inputs">(L, B, w): z_0..z_{L-1}.</param>
    /// <param name="cotangents">(L, B, w): dLoss/dz_{k+1}.</param>
    Tensor? StepInputGradients(Tensor inputs, Tensor cotangents);
}

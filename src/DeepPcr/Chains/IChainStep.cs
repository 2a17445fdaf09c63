using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Chains;

/// <summary>
/// The L steps of a chain z_{k+1} = f_k(z_k), k = 0..L-1, on states of width w, batched over B samples.
/// Steps are indexed from 0: step k reads z_k and produces z_{k+1}; z_0 is the chain's input.
/// A step evaluates any contiguous run of steps in one batched call, which is what makes the
/// parallel solvers parallel: every step of the run is evaluated at once on its own input.
/// </summary>
/// <remarks>
/// Implementations must treat samples and steps independently: output row j of a run depends only on
/// input row j. They must not modify or dispose the tensors they are given.
/// </remarks>
public interface IChainStep
{
    /// <summary>The number of steps L (at least 1).</summary>
    int Length { get; }

    /// <summary>The state width w (at least 1).</summary>
    int Width { get; }

    /// <summary>The true structure of df_k/dz, the layout that <see cref="Jacobian"/> returns.</summary>
    JacobianStructure JacobianStructure { get; }

    /// <summary>
    /// Evaluates steps first..first+n-1, each on its own input.
    /// </summary>
    /// <param name="first">Index of the first step, 0 &lt;= first and first + n &lt;= L.</param>
    /// <param name="inputs">(n, B, w): inputs[j] = z_{first+j}, the input of step first+j.</param>
    /// <returns>(n, B, w): outputs[j] = f_{first+j}(inputs[j]).</returns>
    Tensor Evaluate(int first, Tensor inputs);

    /// <summary>
    /// The Jacobians df_k/dz of steps first..first+n-1 at the given inputs, in the layout of
    /// <see cref="JacobianStructure"/>: dense (n, B, w, w) with [.., i, j] = d out_i / d in_j,
    /// diagonal (n, B, w), scalar (n, B, 1). Returns null when the step has no analytic Jacobian;
    /// callers then build it with autograd (<see cref="AutogradJacobian"/>).
    /// </summary>
    /// <param name="first">Index of the first step.</param>
    /// <param name="inputs">(n, B, w), as for <see cref="Evaluate"/>.</param>
    Tensor? Jacobian(int first, Tensor inputs);
}

using static TorchSharp.torch;

namespace DeepPcr.Chains;

/// <summary>
/// A chain step with trainable parameters, so that the backward pass can return their gradients.
/// </summary>
public interface IDifferentiableChainStep : IChainStep
{
    /// <summary>The parameters (leaf tensors) whose gradients the backward pass computes, in a fixed order.</summary>
    IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>
    /// The analytic vector-Jacobian products of all L steps with respect to <see cref="Parameters"/>:
    /// sum over steps k and samples of cotangents[k] · d f_k(inputs[k]) / d theta, one tensor per parameter
    /// with that parameter's shape. Returns null when the step has no analytic form; callers then use one
    /// autograd call over the batched step.
    /// </summary>
    /// <param name="inputs">(L, B, w): z_0..z_{L-1}, the inputs of the steps.</param>
    /// <param name="cotangents">(L, B, w): dLoss/dz_{k+1} for each step k.</param>
    IReadOnlyList<Tensor>? ParameterGradients(Tensor inputs, Tensor cotangents);
}

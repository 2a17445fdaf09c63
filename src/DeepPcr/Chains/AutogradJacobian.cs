using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Chains;

/// <summary>
/// Builds a step's Jacobian with TorchSharp autograd, for steps that give none of their own.
/// Slower than an analytic Jacobian (w backward passes for a dense block), but any step works.
/// </summary>
public static class AutogradJacobian
{
    /// <summary>
    /// The Jacobian of steps first..first+n-1 at <paramref name="inputs"/> in the given layout.
    /// A dense block costs w vector-Jacobian products; a diagonal or scalar one costs a single product
    /// (exact only when the step's true Jacobian has that structure).
    /// </summary>
    /// <param name="step">The chain step.</param>
    /// <param name="first">Index of the first step.</param>
    /// <param name="inputs">(n, B, w).</param>
    /// <param name="structure">The layout to return: dense (n, B, w, w), diagonal (n, B, w), scalar (n, B, 1).</param>
    public static Tensor Compute(IChainStep step, int first, Tensor inputs, JacobianStructure structure) =>
        Compute(step, first, inputs, structure == JacobianStructure.BlockDiagonal ? Linear.BlockStructure.Of(step) : Linear.BlockStructure.For(structure));

    /// <summary>As above for a structure strategy (block-diagonal blocks come from the dense Jacobian, w vector-Jacobian products).</summary>
    /// <param name="step">The chain step.</param>
    /// <param name="first">Index of the first step.</param>
    /// <param name="inputs">(n, B, w).</param>
    /// <param name="blocks">The layout to return.</param>
    public static Tensor Compute(IChainStep step, int first, Tensor inputs, Linear.BlockStructure blocks)
    {
        var structure = blocks.Kind;
        using var scope = torch.NewDisposeScope();
        using var grad = torch.enable_grad();
        var x = inputs.detach().requires_grad_(true);
        var y = step.Evaluate(first, x);
        Tensor result;
        if (structure is JacobianStructure.Dense or JacobianStructure.BlockDiagonal)
        {
            int w = (int)y.shape[^1];
            var rows = new Tensor[w];
            for (int i = 0; i < w; i++)
            {
                // Samples and steps are independent, so the gradient of the summed output component i
                // is row i of every sample's Jacobian at once.
                var component = y.select(-1, i).sum();
                rows[i] = torch.autograd.grad(new[] { component }, new[] { x }, retain_graph: i < w - 1)[0];
            }
            result = blocks.FromDense(torch.stack(rows, dim: -2));
        }
        else
        {
            var diagonal = torch.autograd.grad(new[] { y.sum() }, new[] { x })[0];
            result = structure == JacobianStructure.Diagonal ? diagonal : diagonal.mean(new long[] { -1 }, keepdim: true);
        }
        return result.detach().MoveToOuterDisposeScope();
    }

    /// <summary>The step's own Jacobian when it gives one, otherwise the autograd one, in the step's declared layout.</summary>
    /// <param name="step">The chain step.</param>
    /// <param name="first">Index of the first step.</param>
    /// <param name="inputs">(n, B, w).</param>
    public static Tensor Of(IChainStep step, int first, Tensor inputs) =>
        step.Jacobian(first, inputs) ?? Compute(step, first, inputs, Linear.BlockStructure.Of(step));
}

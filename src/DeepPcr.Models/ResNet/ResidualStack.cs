using DeepPcr.Chains;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepPcr.Models.ResNet;

/// <summary>
/// L residual blocks z_l = z_{l-1} + h tanh(W_l z_{l-1} + b_l) of width w as a module and one chain step, with
/// analytic Jacobians I + h diag(tanh') W_l and analytic parameter gradients. Parameters: "weight" (L, w, w), "bias" (L, w).
/// </summary>
public sealed class ResidualStack : nn.Module, IChainStepView
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly ResidualChain chain;

    /// <summary>Blocks with copies of the given weights (L, w, w) and biases (L, w), and step scale h.</summary>
    public ResidualStack(Tensor weights, Tensor biases, double stepScale) : base("ResidualStack")
    {
        _ = new ResidualChain(weights, biases, stepScale); // validates
        weight = new Parameter(weights.detach().clone());
        bias = new Parameter(biases.detach().clone());
        chain = new ResidualChain(weight, bias, stepScale);
        register_parameter("weight", weight);
        register_parameter("bias", bias);
    }

    /// <summary>h.</summary>
    public double StepScale => chain.StepScale;

    /// <summary>(L, w, w).</summary>
    public Tensor Weight => weight;

    /// <summary>(L, w).</summary>
    public Tensor Bias => bias;

    /// <inheritdoc />
    public int Length => chain.Length;

    /// <inheritdoc />
    public int Width => chain.Width;

    /// <inheritdoc />
    public IReadOnlyList<Tensor> Parameters => new Tensor[] { weight, bias };

    /// <summary>The chain this module is a view of.</summary>
    public IHostDifferentiableChainStep Inner => chain;
}

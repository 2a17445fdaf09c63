using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepPcr.Models.ResNet;

/// <summary>
/// One residual block z + h tanh(W z + b) of width w as a TorchSharp module, the block <see cref="ResidualChain"/> chains:
/// a user stacks them in a <c>Sequential</c> or <c>ModuleList</c>, and <see cref="Modules.ModuleChains"/> recognises the
/// stack and runs it as one residual chain on the host engine. Parameters: "weight" (w, w), "bias" (w).
/// </summary>
public sealed class ResidualBlock : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;

    /// <summary>A block with weights drawn as <c>nn.Linear</c> draws them, U(-1/sqrt(w), 1/sqrt(w)), and the bias likewise.</summary>
    /// <param name="width">w.</param>
    /// <param name="stepScale">h (finite).</param>
    /// <param name="dtype">The parameters' dtype.</param>
    public ResidualBlock(int width, double stepScale, ScalarType dtype = ScalarType.Float32) : base("ResidualBlock")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (!double.IsFinite(stepScale)) throw new ArgumentException($"The step scale h must be finite (got {stepScale}).", nameof(stepScale));
        double bound = 1 / Math.Sqrt(width);
        weight = new Parameter(torch.empty(new long[] { width, width }, dtype: dtype).uniform_(-bound, bound));
        bias = new Parameter(torch.empty(new long[] { width }, dtype: dtype).uniform_(-bound, bound));
        StepScale = stepScale;
        register_parameter("weight", weight);
        register_parameter("bias", bias);
    }

    /// <summary>h.</summary>
    public double StepScale { get; }

    /// <summary>(w, w).</summary>
    public Parameter Weight => weight;

    /// <summary>(w).</summary>
    public Parameter Bias => bias;

    /// <summary>z + h tanh(W z + b) for z (B, w).</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        return (input + StepScale * torch.tanh(nn.functional.linear(input, weight, bias))).MoveToOuterDisposeScope();
    }
}

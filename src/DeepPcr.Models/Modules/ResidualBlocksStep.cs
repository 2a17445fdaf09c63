using DeepPcr.Chains;
using DeepPcr.Models.ResNet;
using static TorchSharp.torch;

namespace DeepPcr.Models.Modules;

/// <summary>
/// A user's stack of the library's <see cref="ResidualBlock"/>s, one step scale h, as one <see cref="ResidualChain"/>
/// over their stacked parameters: z_{k+1} = z_k + h tanh(W_k z_k + b_k) (see <see cref="StackedLayersStep"/>).
/// </summary>
public sealed class ResidualBlocksStep : StackedLayersStep
{
    /// <summary>Chains the blocks.</summary>
    /// <exception cref="ArgumentException">No block, blocks of different widths, dtypes or devices, or of different step scales.</exception>
    public ResidualBlocksStep(IReadOnlyList<ResidualBlock> blocks)
        : base(Blocks(blocks).Select(b => (Tensor)b.Weight).ToArray(), blocks.Select(b => (Tensor?)b.Bias).ToArray())
    {
        StepScale = blocks[0].StepScale;
        if (blocks.Any(b => b.StepScale != StepScale))
        {
            throw new ArgumentException($"The blocks have different step scales ({string.Join(", ", blocks.Select(b => b.StepScale).Distinct())}); one chain needs one h.", nameof(blocks));
        }
        Initialise();
    }

    /// <summary>h.</summary>
    public double StepScale { get; }

    /// <summary>The chain over the stacked parameters of the last <see cref="StackedLayersStep.Refresh"/>.</summary>
    public ResidualChain Chain => (ResidualChain)Inner;

    /// <inheritdoc />
    protected override IHostDifferentiableChainStep Build(Tensor weights, Tensor biases) => new ResidualChain(weights, biases, StepScale);

    private static IReadOnlyList<ResidualBlock> Blocks(IReadOnlyList<ResidualBlock> blocks)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        if (blocks.Count == 0) throw new ArgumentException("At least one block is needed.", nameof(blocks));
        return blocks;
    }
}

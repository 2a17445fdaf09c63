using DeepPcr.Chains;
using DeepPcr.Models.Mlp;
using static TorchSharp.torch;

namespace DeepPcr.Models.Modules;

/// <summary>
/// A user's own square <c>Linear</c> layers, each followed by an elementwise activation (one for all layers, or one per
/// layer), as one <see cref="MlpChain"/> over their stacked parameters: z_{k+1} = act_k(W_k z_k + b_k)
/// (see <see cref="StackedLayersStep"/>).
/// </summary>
public sealed class LinearLayersStep : StackedLayersStep
{
    private readonly Activation[] activations;

    /// <summary>Chains the layers, each mapping (B, w) to (B, w), with one activation.</summary>
    /// <exception cref="ArgumentException">No layer, a layer that is not w x w, or layers of different dtypes or devices.</exception>
    public LinearLayersStep(IReadOnlyList<TorchSharp.Modules.Linear> layers, Activation activation)
        : this(layers, Enumerable.Repeat(activation, layers?.Count ?? 0).ToArray())
    {
    }

    /// <summary>Chains the layers, each mapping (B, w) to (B, w), layer k followed by activations[k].</summary>
    /// <exception cref="ArgumentException">No layer, not one activation per layer, a layer that is not w x w, or layers of
    /// different dtypes or devices.</exception>
    public LinearLayersStep(IReadOnlyList<TorchSharp.Modules.Linear> layers, IReadOnlyList<Activation> activations)
        : base(Weights(layers), layers.Select(l => l.bias).ToArray())
    {
        ArgumentNullException.ThrowIfNull(activations);
        if (activations.Count != layers.Count) throw new ArgumentException($"{activations.Count} activations for {layers.Count} layers; give one per layer.", nameof(activations));
        this.activations = activations.ToArray();
        Initialise();
    }

    /// <summary>act_k of every layer k.</summary>
    public IReadOnlyList<Activation> Activations => activations;

    /// <summary>The chain over the stacked parameters of the last <see cref="StackedLayersStep.Refresh"/>.</summary>
    public MlpChain Chain => (MlpChain)Inner;

    /// <inheritdoc />
    protected override IHostDifferentiableChainStep Build(Tensor weights, Tensor biases) => new MlpChain(weights, biases, activations);

    private static Tensor[] Weights(IReadOnlyList<TorchSharp.Modules.Linear> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        return layers.Select(l => l.weight!).ToArray();
    }
}

using DeepPcr.Chains;
using DeepPcr.Models.Mlp;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepPcr.Models.Modules;

/// <summary>
/// A user's own square <c>Linear</c> layers, each followed by an elementwise activation (one for all layers, or one per
/// layer), as one <see cref="MlpChain"/>: z_{k+1} = act_k(W_k z_k + b_k). Before every forward pass (<see cref="IParameterCopies"/>) the
/// layers' weights and biases are stacked into (L, w, w) and (L, w) tensors by one differentiable <c>torch.stack</c> each
/// (a layer without bias counts as zero bias); the chain runs on them, on the host engine, and autograd carries their
/// gradients back through the stack to the layers' own parameters, one C++ node for all layers (returning a gradient
/// per layer from the chain's backward instead cost about 17 us per parameter in TorchSharp's function bridge).
/// </summary>
public sealed class LinearLayersStep : IChainStepView, IParameterCopies
{
    private readonly TorchSharp.Modules.Linear[] layers;
    private readonly Activation[] activations;
    private MlpChain chain;

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
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(activations);
        if (layers.Count == 0) throw new ArgumentException("At least one Linear layer is needed.", nameof(layers));
        if (activations.Count != layers.Count) throw new ArgumentException($"{activations.Count} activations for {layers.Count} layers; give one per layer.", nameof(activations));
        this.layers = layers.ToArray();
        this.activations = activations.ToArray();
        var first = this.layers[0].weight!;
        long width = first.shape[0];
        foreach (var layer in this.layers)
        {
            var w = layer.weight!;
            if (w.dim() != 2 || w.shape[0] != width || w.shape[1] != width || w.dtype != first.dtype || w.device_type != first.device_type)
            {
                throw new ArgumentException($"Every layer must be a {width} x {width} Linear of {first.dtype} on {first.device}; one has weight {string.Join(" x ", w.shape)} of {w.dtype}.", nameof(layers));
            }
        }
        chain = Stack();
    }

    /// <summary>act_k of every layer k.</summary>
    public IReadOnlyList<Activation> Activations => activations;

    /// <summary>The chain over the stacked parameters of the last <see cref="Refresh"/>.</summary>
    public MlpChain Chain => chain;

    /// <summary>The chain over the stacked parameters of the last <see cref="Refresh"/>.</summary>
    public IHostDifferentiableChainStep Inner => chain;

    /// <inheritdoc />
    public int Length => chain.Length;

    /// <inheritdoc />
    public int Width => chain.Width;

    /// <summary>
    /// Stacks the layers' current parameters again (in the caller's grad mode, so that gradients reach them) and releases
    /// the previous stack's handles: an autograd graph that still needs those tensors holds its own references, and a
    /// backward pass reads the chain of the latest stack (the same values unless the parameters changed in between).
    /// </summary>
    public void Refresh()
    {
        var previous = chain;
        chain = Stack();
        previous.Weights.Dispose();
        previous.Biases.Dispose();
    }

    private MlpChain Stack()
    {
        var w = torch.stack(layers.Select(l => l.weight!), 0).DetachFromDisposeScope();
        var b = torch.stack(layers.Select(l => l.bias ?? torch.zeros_like(l.weight![0])), 0).DetachFromDisposeScope();
        return new MlpChain(w, b, activations);
    }
}

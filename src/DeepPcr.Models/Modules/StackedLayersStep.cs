using DeepPcr.Chains;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Models.Modules;

/// <summary>
/// A user's own layers, each with a square (w, w) weight and an optional (w) bias, as one chain over their stacked
/// parameters: before every forward pass (<see cref="IParameterCopies"/>) the weights and biases are stacked into (L, w, w)
/// and (L, w) tensors by one differentiable <c>torch.stack</c> each (a missing bias counts as zero), the chain that
/// <see cref="Build"/> makes runs on them, on the host engine, and autograd carries their gradients back through the
/// stack to the layers' own parameters, one C++ node for all layers (returning a gradient per layer from the chain's
/// backward instead cost about 17 us per parameter in TorchSharp's function bridge).
/// </summary>
public abstract class StackedLayersStep : IChainStepView, IParameterCopies
{
    private readonly Tensor[] weights;
    private readonly Tensor?[] biases;
    private IHostDifferentiableChainStep? chain;

    /// <summary>Checks the layers' parameters; the derived class calls <see cref="Initialise"/> once its own fields are set.</summary>
    /// <param name="weights">Each layer's (w, w) weight.</param>
    /// <param name="biases">Each layer's (w) bias, or null for none.</param>
    /// <exception cref="ArgumentException">No layer, or weights that are not all w x w of one dtype and device.</exception>
    protected StackedLayersStep(IReadOnlyList<Tensor> weights, IReadOnlyList<Tensor?> biases)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(biases);
        if (weights.Count == 0) throw new ArgumentException("At least one layer is needed.", nameof(weights));
        if (biases.Count != weights.Count) throw new ArgumentException("One bias (or null) per layer is needed.", nameof(biases));
        var first = weights[0];
        long width = first.shape[^1];
        foreach (var w in weights)
        {
            if (w.dim() != 2 || w.size(0) != width || w.size(1) != width || w.dtype != first.dtype || w.device_type != first.device_type)
            {
                throw new ArgumentException($"Every layer must have a {width} x {width} weight of {first.dtype} on {first.device}; one has {string.Join(" x ", w.shape)} of {w.dtype}.", nameof(weights));
            }
        }
        this.weights = weights.ToArray();
        this.biases = biases.ToArray();
    }

    /// <summary>The chain over the stacked parameters of the last <see cref="Refresh"/>.</summary>
    public IHostDifferentiableChainStep Inner => chain ?? throw new InvalidOperationException("The derived step did not call Initialise.");

    /// <inheritdoc />
    public int Length => Inner.Length;

    /// <inheritdoc />
    public int Width => Inner.Width;

    /// <summary>The chain on stacked weights (L, w, w) and biases (L, w).</summary>
    protected abstract IHostDifferentiableChainStep Build(Tensor weights, Tensor biases);

    /// <summary>Stacks the parameters for the first time: call at the end of the derived constructor.</summary>
    protected void Initialise() => chain = Stack();

    /// <summary>
    /// Stacks the layers' current parameters again (in the caller's grad mode, so that gradients reach them) and releases
    /// the previous stack's handles: an autograd graph that still needs those tensors holds its own references, and a
    /// backward pass reads the chain of the latest stack (the same values unless the parameters changed in between).
    /// </summary>
    public void Refresh()
    {
        var previous = Inner;
        chain = Stack();
        foreach (var p in previous.Parameters) p.Dispose();
    }

    private IHostDifferentiableChainStep Stack()
    {
        var w = torch.stack(weights, 0).DetachFromDisposeScope();
        var b = torch.stack(biases.Select((bias, k) => bias ?? torch.zeros_like(weights[k][0])), 0).DetachFromDisposeScope();
        return Build(w, b);
    }
}

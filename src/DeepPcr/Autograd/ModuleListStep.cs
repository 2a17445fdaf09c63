using DeepPcr.Chains;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Autograd;

/// <summary>
/// A chain of arbitrary TorchSharp modules with equal input and output width w: step k is
/// <c>modules[k].call(z_k)</c>. It gives no Jacobian and no analytic parameter gradients, so the solvers build
/// both with autograd (w backward passes for the Jacobian): slower than an analytic step, but any module works.
/// Wrap it in a <see cref="ChainModule"/> to train it with DeepPCR; the modules are registered as submodules.
/// </summary>
public sealed class ModuleListStep : nn.Module, IDifferentiableChainStep
{
    private readonly nn.Module<Tensor, Tensor>[] steps;

    /// <summary>Chains the modules, each mapping (B, w) to (B, w).</summary>
    public ModuleListStep(IEnumerable<nn.Module<Tensor, Tensor>> modules, int width) : base("ModuleListStep")
    {
        this.steps = modules?.ToArray() ?? throw new ArgumentNullException(nameof(modules));
        if (this.steps.Length == 0) throw new ArgumentException("The chain has L = 0 modules; at least one is needed.", nameof(modules));
        if (width < 1) throw new ArgumentException($"The chain has width {width}; at least 1 is needed.", nameof(width));
        Width = width;
        for (int k = 0; k < this.steps.Length; k++) register_module($"{k}", this.steps[k]);
    }

    /// <inheritdoc />
    public int Length => steps.Length;

    /// <inheritdoc />
    public int Width { get; }

    /// <inheritdoc />
    public JacobianStructure JacobianStructure => JacobianStructure.Dense;

    /// <inheritdoc />
    public IReadOnlyList<Tensor> Parameters => steps.SelectMany(m => m.parameters()).Cast<Tensor>().ToArray();

    /// <inheritdoc />
    public Tensor Evaluate(int first, Tensor inputs)
    {
        using var scope = torch.NewDisposeScope();
        var outputs = new Tensor[inputs.size(0)];
        for (int j = 0; j < outputs.Length; j++)
        {
            var output = steps[first + j].call(inputs[j]);
            if (output.dim() != 2 || output.size(1) != Width)
            {
                throw new InvalidOperationException($"Module {first + j} returned shape ({string.Join(", ", output.shape)}); (B, {Width}) was expected.");
            }
            outputs[j] = output;
        }
        return torch.stack(outputs, 0).MoveToOuterDisposeScope();
    }

    /// <summary>The modules called one after another on z_0 (B, w): z_L (B, w), exactly what a user's own loop computes.</summary>
    public Tensor Call(Tensor input)
    {
        var z = input;
        foreach (var module in steps) z = module.call(z);
        return z;
    }

    /// <inheritdoc />
    public Tensor? Jacobian(int first, Tensor inputs) => null;

    /// <inheritdoc />
    public IReadOnlyList<Tensor>? ParameterGradients(Tensor inputs, Tensor cotangents) => null;
}

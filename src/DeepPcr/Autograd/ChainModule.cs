using DeepPcr.Chains;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Autograd;

/// <summary>How a <see cref="ChainModule"/> runs its chain.</summary>
public enum ChainMode
{
    /// <summary>A parallel forward through <see cref="ChainFunction"/> and the parallel backward pass.</summary>
    Parallel,

    /// <summary>The plain sequential pass under TorchSharp autograd: the reference.</summary>
    Sequential,
}

/// <summary>
/// A TorchSharp module that runs a chain step with DeepPCR (or another method) forward and backward:
/// <c>module.call(x)</c> gives z_L (B, w) and <c>loss.backward()</c> fills the gradients of x and of every
/// parameter. If the step is itself a module it is registered as the submodule "step", so optimisers see its parameters.
/// </summary>
public sealed class ChainModule : nn.Module<Tensor, Tensor>
{
    private readonly IDifferentiableChainStep step;

    /// <summary>Wraps a step.</summary>
    /// <param name="step">The chain step.</param>
    /// <param name="solver">The parallel method; null for DeepPCR.</param>
    /// <param name="options">Solver settings; null for the defaults.</param>
    public ChainModule(IDifferentiableChainStep step, IChainSolver? solver = null, SolverOptions? options = null) : base("ChainModule")
    {
        this.step = step ?? throw new ArgumentNullException(nameof(step));
        Solver = solver ?? ParallelChainSolver.DeepPcr;
        Options = options;
        if (step is nn.Module module) register_module("step", module);
    }

    /// <summary>The parallel method used in <see cref="ChainMode.Parallel"/>.</summary>
    public IChainSolver Solver { get; set; }

    /// <summary>Solver settings (null: defaults).</summary>
    public SolverOptions? Options { get; set; }

    /// <summary>Parallel (default) or sequential.</summary>
    public ChainMode Mode { get; set; } = ChainMode.Parallel;

    /// <summary>The last parallel forward's solution (method, iterations, termination, fallback), or null.</summary>
    public ChainSolution? LastSolution { get; private set; }

    /// <summary>z_L (B, w) from z_0 (B, w).</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        return States(input)[step.Length - 1].MoveToOuterDisposeScope();
    }

    /// <summary>All states z_1..z_L (L, B, w), differentiable.</summary>
    public Tensor States(Tensor input) => Mode == ChainMode.Sequential
        ? SequentialPass.Run(step, input)
        : ChainFunction.Apply(step, Solver, Options, input, s => LastSolution = s);
}

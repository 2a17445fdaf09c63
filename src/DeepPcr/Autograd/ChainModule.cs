using DeepPcr.Backward;
using DeepPcr.Chains;
using DeepPcr.Engines;
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
/// With <see cref="AutoSolver"/> the forward method is chosen by its cost model; a step without host kernels whose
/// decision is the sequential pass then runs as plain autograd through its modules (no framework overhead added), and
/// the backward pass of a step with host kernels is whichever of PCR and the row-by-row solve was faster on the first call.
/// See <c>ModuleChains</c> in DeepPcr.Models for a factory that recognises a user's own Linear layers.
/// </summary>
public sealed class ChainModule : nn.Module<Tensor, Tensor>
{
    private readonly IDifferentiableChainStep step;

    /// <summary>Wraps a step.</summary>
    /// <param name="step">The chain step.</param>
    /// <param name="solver">The parallel method; null for DeepPCR.</param>
    /// <param name="options">Solver settings; null for the defaults.</param>
    /// <param name="modules">Modules that own the step's parameters, registered as submodules "0", "1", ... so that
    /// <c>parameters()</c> and optimisers see them (for steps that are not modules themselves); null for none.</param>
    public ChainModule(IDifferentiableChainStep step, IChainSolver? solver = null, SolverOptions? options = null, IEnumerable<nn.Module>? modules = null) : base("ChainModule")
    {
        this.step = step ?? throw new ArgumentNullException(nameof(step));
        Solver = solver ?? ParallelChainSolver.DeepPcr;
        Options = options;
        if (step is nn.Module module) register_module("step", module);
        int k = 0;
        foreach (var owner in modules ?? Enumerable.Empty<nn.Module>()) register_module($"{k++}", owner);
    }

    /// <summary>The chain step.</summary>
    public IDifferentiableChainStep Step => step;

    /// <summary>The parallel method used in <see cref="ChainMode.Parallel"/>.</summary>
    public IChainSolver Solver { get; set; }

    /// <summary>How the backward pass solves the reversed chain; null: PCR, or the faster of PCR and row by row under <see cref="AutoSolver"/>.</summary>
    public AdjointMethod? Adjoint { get; set; }

    /// <summary>Solver settings (null: defaults).</summary>
    public SolverOptions? Options { get; set; }

    /// <summary>Parallel (default) or sequential.</summary>
    public ChainMode Mode { get; set; } = ChainMode.Parallel;

    /// <summary>The last parallel forward's solution (method, iterations, termination, fallback), or null.</summary>
    public ChainSolution? LastSolution { get; private set; }

    /// <summary>What ran the last forward pass: a solver's method, or the sequential pass under autograd.</summary>
    public ChainMethod? LastMethod { get; private set; }

    /// <summary>The engine of the last forward pass.</summary>
    public ChainEngine? LastEngine { get; private set; }

    /// <summary>The last backward pass through <see cref="ChainFunction"/> (engine, method), or null.</summary>
    public AdjointSolution? LastAdjoint { get; private set; }

    /// <summary>z_L (B, w) from z_0 (B, w).</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        (step as IParameterCopies)?.Refresh();
        if (Mode == ChainMode.Sequential || RunsPlain(input))
        {
            LastMethod = ChainMethod.Sequential;
            LastEngine = ChainEngine.Torch;
            var final = step is ModuleListStep modules ? modules.Call(input) : SequentialPass.Run(step, input)[step.Length - 1];
            return final.MoveToOuterDisposeScope();
        }
        return Parallel(input)[step.Length - 1].MoveToOuterDisposeScope();
    }

    /// <summary>All states z_1..z_L (L, B, w), differentiable.</summary>
    public Tensor States(Tensor input)
    {
        (step as IParameterCopies)?.Refresh();
        return Mode == ChainMode.Sequential ? SequentialPass.Run(step, input) : Parallel(input);
    }

    /// <summary>True when Auto chose the sequential pass for a step without host kernels: plain autograd through the step.</summary>
    private bool RunsPlain(Tensor input)
    {
        if (Solver is not AutoSolver auto) return false;
        using var noGrad = torch.no_grad(); // the solve runs without a graph: ask about the host kernels as it will
        return !EngineSelection.HostApplies(step, input.detach()) && auto.Decide(step, input.detach()).Method == SequentialSolver.Instance.Name;
    }

    private Tensor Parallel(Tensor input)
    {
        var adjoint = Adjoint ?? (Solver is AutoSolver ? AdjointMethod.Auto : AdjointMethod.Parallel);
        return ChainFunction.Apply(step, Solver, Options, input, s =>
        {
            LastSolution = s;
            LastMethod = s.Method;
            LastEngine = s.Engine;
        }, a => LastAdjoint = a, adjoint);
    }
}

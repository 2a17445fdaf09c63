using DeepPcr.Autograd;
using DeepPcr.Solvers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepPcr.Models.ResNet;

/// <summary>
/// A deep residual classifier: an input projection to width w, L residual blocks
/// z_l = z_{l-1} + h tanh(W_l z_{l-1} + b_l) (one chain for the solvers), and a linear head on z_L.
/// The step scale is h = 1 / L: each block is then the identity plus O(1/L), so that the product of the L block
/// Jacobians stays within exp(max ||W||) of the identity whatever the depth (the blocks discretise one ODE on
/// [0, 1]); neither the forward states nor the gradients explode or vanish at 1024 layers, and Newton needs few iterations.
/// </summary>
public sealed class ResNetClassifier : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Linear projection;
    private readonly ResidualStack blocks;
    private readonly TorchSharp.Modules.Linear head;

    /// <summary>A seeded network for inputs of dimension d and the given classes.</summary>
    /// <param name="features">Input dimension d.</param>
    /// <param name="width">Block width w.</param>
    /// <param name="depth">Number of blocks L.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="seed">Seed of every initial weight.</param>
    /// <param name="dtype">Float32 or Float64.</param>
    public ResNetClassifier(int features, int width, int depth, int classes, long seed, ScalarType dtype = ScalarType.Float32) : base("ResNetClassifier")
    {
        if (features < 1 || width < 1 || depth < 1 || classes < 2)
        {
            throw new ArgumentException($"A ResNet needs features, width and depth >= 1 and at least 2 classes; got d = {features}, w = {width}, L = {depth}, {classes} classes.");
        }
        var generator = new Generator((ulong)seed);
        torch.random.manual_seed(seed);
        projection = nn.Linear(features, width, dtype: dtype);
        head = nn.Linear(width, classes, dtype: dtype);
        var w = torch.randn(new long[] { depth, width, width }, dtype: ScalarType.Float64, generator: generator) / Math.Sqrt(width);
        var b = torch.randn(new long[] { depth, width }, dtype: ScalarType.Float64, generator: generator) * 0.1;
        blocks = new ResidualStack(w.to_type(dtype), b.to_type(dtype), stepScale: 1.0 / depth);
        RegisterComponents();
    }

    /// <summary>The residual blocks (the chain).</summary>
    public ResidualStack Blocks => blocks;

    /// <summary>Parallel (DeepPCR forward and backward) or sequential (plain autograd).</summary>
    public ChainMode Mode { get; set; } = ChainMode.Parallel;

    /// <summary>The method of the blocks' forward pass in <see cref="ChainMode.Parallel"/> mode (DeepPCR by default; the
    /// sequential solver gives the fast sequential pass with the host kernels' adjoint backward, a baseline); the backward
    /// pass is always the adjoint solve of <see cref="ChainFunction"/>.</summary>
    public IChainSolver Solver { get; set; } = ParallelChainSolver.DeepPcr;

    /// <summary>Solver settings for the blocks (e.g. a warm-start guess); null for a cold start.</summary>
    public SolverOptions? Options { get; set; }

    /// <summary>The last parallel solve of the blocks, or null.</summary>
    public ChainSolution? LastSolution { get; private set; }

    /// <summary>The engine of the last parallel backward pass through the blocks, or null.</summary>
    public ChainEngine? LastBackwardEngine { get; private set; }

    /// <summary>The block states z_1..z_L (L, B, w) of the last forward call, detached, for warm starts.</summary>
    public Tensor? LastStates { get; private set; }

    /// <summary>Class scores (B, classes) for inputs (B, d).</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var z0 = projection.call(input);
        var states = Mode == ChainMode.Sequential
            ? SequentialPass.Run(blocks, z0)
            : ChainFunction.Apply(blocks, Solver, Options, z0, s => LastSolution = s, a => LastBackwardEngine = a.Engine);
        LastStates?.Dispose();
        LastStates = states.detach().clone().DetachFromDisposeScope();
        return head.call(states[blocks.Length - 1]).MoveToOuterDisposeScope();
    }
}

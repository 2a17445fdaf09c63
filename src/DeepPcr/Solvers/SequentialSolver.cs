using DeepPcr.Chains;
using DeepPcr.Engines;
using static TorchSharp.torch;

namespace DeepPcr.Solvers;

/// <summary>The sequential pass as a method: L dependent steps, no iterations.</summary>
public sealed class SequentialSolver : IChainSolver
{
    /// <summary>The shared instance.</summary>
    public static SequentialSolver Instance { get; } = new();

    /// <inheritdoc />
    public string Name => ChainMethod.Sequential.Name();

    /// <inheritdoc />
    public ChainSolution Solve(IChainStep step, Tensor input, SolverOptions? options = null) =>
        new(SequentialPass.Run(step, input), ChainMethod.Sequential, EngineSelection.ForSequential(step, input), 0, 0,
            Array.Empty<double>(), Array.Empty<double>(), Termination.Converged, Fallback.None);
}

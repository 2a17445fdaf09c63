using DeepPcr.Chains;
using static TorchSharp.torch;

namespace DeepPcr.Solvers;

/// <summary>
/// A parallel method with the plain step: Newton–PCR (DeepPCR), quasi-Newton or Picard, by its
/// <see cref="Linearization"/>, with the sliding window and the safeguards of <see cref="SolverOptions"/>. With a window
/// W, steps [k, k + W) are solved at a time from the accepted state z_k, and k advances by W once the window has
/// converged. When a safeguard fires, the solver retries windowed, then sequentially, and reports which fallback ran
/// (<see cref="ChainSolve"/>).
/// </summary>
public class ParallelChainSolver : IChainSolver
{
    private readonly MethodPlan plan;

    /// <summary>A parallel method using the given linearization.</summary>
    public ParallelChainSolver(Linearization linearization) =>
        plan = MethodPlan.Plain(linearization ?? throw new ArgumentNullException(nameof(linearization)));

    /// <summary>DeepPCR: Newton with the step's exact Jacobian, each Newton step solved by PCR.</summary>
    public static ParallelChainSolver DeepPcr { get; } = new(Linearization.Exact);

    /// <summary>Picard / Jacobi iteration: z_l = f_l(z_{l-1}) for all l at once (A = 0).</summary>
    public static ParallelChainSolver Picard { get; } = new(Linearization.None);

    /// <summary>Quasi-Newton with a cheaper block structure than the step's (diagonal or scalar).</summary>
    public static ParallelChainSolver QuasiNewton(JacobianStructure structure) => new(Linearization.Cheaper(structure));

    /// <inheritdoc />
    public string Name => plan.Linearization.MethodName;

    /// <inheritdoc />
    public ChainSolution Solve(IChainStep step, Tensor input, SolverOptions? options = null) => ChainSolve.Solve(plan, step, input, options);
}

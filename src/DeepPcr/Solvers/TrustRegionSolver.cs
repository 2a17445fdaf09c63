using DeepPcr.Chains;
using DeepPcr.Newton;
using static TorchSharp.torch;

namespace DeepPcr.Solvers;

/// <summary>
/// "deeppcr-trust-region": the DeepPCR Newton step (bidiagonal PCR, correction form) with each state's update
/// clipped to a radius Delta in the infinity norm over w, Delta adapted per sample from the merit ||r||^2.
/// Cheap: no solve beyond DeepPCR's own; a rejected trial costs one evaluation.
/// </summary>
/// <remarks>
/// <para>The rule, per sample. Delta starts at infinity: the trial is Newton's iterate cut at the first overflowing
/// or runaway row, exactly as in <see cref="DampedNewtonSolver"/>, and it is accepted whenever it evaluates to finite
/// values, for the reasons given there (Newton's exact prefix grows by a state per iteration; judging its iterates by
/// a whole-chain merit would call that progress a failure). A rejected unclipped trial sets
/// Delta = min(0.25 max_l ||d_l||_inf, 1) (tanh-like states live in [-1, 1]). A clipped trial is accepted when the
/// merit decreases, and Delta doubles; otherwise Delta /= 4. Once Delta exceeds every state's update the step is
/// Newton again. Clipping is cheaper per trial than damping (no extra solve) but needs more trials when it does the
/// work (tests/DeepPcr.Tests/TrustRegionTests.cs forces it on contractive chains).</para>
/// <para>Options as for <see cref="DampedNewtonSolver"/>: iteration limit 2L by default, every trial counts as an
/// iteration, windows ignored, alarms and the iteration limit (with safeguards on) fall back to the sequential pass.</para>
/// </remarks>
public sealed class TrustRegionSolver : IChainSolver
{
    /// <summary>The shared instance.</summary>
    public static TrustRegionSolver Instance { get; } = new();

    internal TrustRegionRule Rule { get; init; } = new();

    /// <inheritdoc />
    public string Name => Method.Name();

    /// <inheritdoc />
    public ChainSolution Solve(IChainStep step, Tensor input, SolverOptions? options = null) =>
        ChainSolve.Solve(new MethodPlan(Linearization.Exact, (batch, policy) => new ClippedStep(batch, Rule, CutBounds.For(policy)), 2, Windows: false) { Method = Method },
            step, input, options);

    private static ChainMethod Method => ChainMethod.TrustRegion;
}

using DeepPcr.Chains;
using DeepPcr.Newton;
using static TorchSharp.torch;

namespace DeepPcr.Solvers;

/// <summary>
/// "elk": damped Newton as ELK does it (Gonzalez et al. 2024): Levenberg–Marquardt on the residual
/// R_l(z) = z_l - f_l(z_{l-1}), l = 1..L, whose step solves (J^T J + lambda I) d = -J^T R with the exact,
/// block-bidiagonal J. J^T J + lambda I is block-tridiagonal; <see cref="Linear.BlockTridiagonalPcr"/> solves it
/// in ceil(log2 L) rounds of w x w solves (about 6 times the work of the Newton step's bidiagonal PCR, see there).
/// Diagonal and scalar Jacobians are expanded to dense blocks for that solve.
/// </summary>
/// <remarks>
/// <para>The damping rule, per sample (each sample is its own least-squares problem). lambda = 0 is exactly Newton,
/// and it is where every sample starts and returns. The undamped trial is Newton's iterate cut at the sample's first
/// row that overflows or, with the safeguards on, whose new value exceeds K / 10 times the chain's scale
/// max(1, |z_0|, |f(z)|) (K the growth factor of <see cref="Safeguards"/>); rows from the cut on keep their values
/// (the cut of the Newton trial, in the backends). It is accepted whenever the chain evaluates to finite values
/// there, whatever it does to the merit ||R||^2. Only a non-finite undamped trial (a step that overflows at the
/// trial) is rejected; then lambda = 1 and Levenberg–Marquardt takes over: a damped trial is accepted when the
/// merit decreases, and lambda /= 3 (below 1e-6 it returns to 0, Newton); otherwise it is rejected and lambda *= 4.</para>
/// <para>Why accept a finite Newton step that raises the merit: undamped Newton makes state k exact after k
/// iterations, and the cut keeps that (the rows before it include the exact prefix and the next row, whose new value
/// f_{k+1}(z_k) is a current output, so within the bound): at most L iterations on any chain. A merit on the whole
/// chain calls an expansive chain's intermediate iterates failures while their exact prefix advances, and
/// Levenberg–Marquardt steps, which move every state to lower later residuals, do not advance it: accepting Newton
/// only when the merit grows little, and damping otherwise, left expansive chains unconverged at the iteration limit.
/// The runaway bound keeps accepted residuals an order below the growth alarm; a bound at the alarm's level lets the
/// alarm fire at the start. With the safeguards off only overflow cuts. So on smooth bounded chains the method is
/// Newton with overflow handling, and the Levenberg–Marquardt steps serve steps whose evaluation overflows. What it
/// costs and saves against DeepPCR, measured by `bash docs/results/solvers/damped.sh`, is in docs/algorithm.md
/// (section "Damped Newton and trust region") and docs/results/solvers/damped.txt.</para>
/// <para>Cost: each trial (accepted or not) counts as an iteration: one batched evaluation, plus the bidiagonal
/// PCR for an undamped trial or the block-tridiagonal PCR (about 6 times its work, plus forming J^T J) for a damped
/// one. Every accepted iterate also costs the exact Jacobians and one bidiagonal PCR for the Newton correction,
/// which is the error estimate of the stopping rule (as for DeepPCR: stop when |d| &lt;= atol + rtol |z|
/// everywhere, keeping z). ResidualNorms and ErrorEstimates list the accepted iterates only.</para>
/// <para>Options: tolerances, initial guess and safeguards as for <see cref="ParallelChainSolver"/> (the growth
/// alarm watches the accepted iterates); the iteration limit defaults to 2L (damped steps lose the L-iteration
/// guarantee); windows are ignored (the whole chain is solved at once); there is no windowed retry: an alarm, or
/// the iteration limit with safeguards on, falls back to the sequential pass.</para>
/// </remarks>
public sealed class DampedNewtonSolver : IChainSolver
{
    /// <summary>The shared instance.</summary>
    public static DampedNewtonSolver Instance { get; } = new();

    internal LevenbergMarquardtRule Rule { get; init; } = new();

    /// <inheritdoc />
    public string Name => Method.Name();

    /// <inheritdoc />
    public ChainSolution Solve(IChainStep step, Tensor input, SolverOptions? options = null) =>
        ChainSolve.Solve(new MethodPlan(Linearization.Exact, (batch, policy) => new DampedStep(batch, Rule, CutBounds.For(policy)), 2, Windows: false) { Method = Method },
            step, input, options);

    private static ChainMethod Method => ChainMethod.Elk;
}

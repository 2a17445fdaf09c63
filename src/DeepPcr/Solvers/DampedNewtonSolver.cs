using DeepPcr.Chains;
using DeepPcr.Solvers.Globalization;
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
/// <para>The damping rule, per sample (each sample is its own least-squares problem). lambda = 0 is exactly
/// Newton, and it is where every sample starts and returns. The undamped trial is Newton's iterate cut at the
/// sample's first overflowing row (rows from there on keep their values, <see cref="Globalization.NewtonCorrection"/>),
/// and it is accepted whenever the chain evaluates to finite values there, whatever it does to the merit ||R||^2.
/// Only a non-finite undamped trial is rejected (a step function that overflows at the trial); then lambda = 1 and
/// Levenberg–Marquardt takes over: a damped trial is accepted when the merit decreases, and lambda /= 3 (below 1e-6
/// it returns to 0, Newton); otherwise it is rejected and lambda *= 4.</para>
/// <para>Why accept a finite Newton step that raises the merit: undamped Newton makes state k exact after k
/// iterations (the cut keeps that: rows before the first overflow include the exact prefix and the next row), so
/// it converges in at most L iterations on any chain. A merit on the whole chain calls an expansive chain's
/// intermediate iterates failures while their exact prefix advances, and Levenberg–Marquardt steps, which move
/// every state to reduce later residuals, do not advance it. Measured on tanh MLPs (L = 256, w = 4, B = 2, seeds 1
/// and 2): accepting Newton only when the merit grows by at most 1e2 or 1e6 times, and damping otherwise, reached
/// the iteration limit 2L = 512 without converging at gain 1.5 and at gain 3, in float32 and in float64, where
/// this rule converges in 21–31 (gain 1.5) and 109–148 (gain 3, float64) iterations, the same as DeepPCR.
/// Damping a non-finite Newton trial instead of cutting it (LM from there on) also ran into the limit at gain 3
/// in float32; with the cut this rule needs 153 iterations there (safeguards off), DeepPCR 162.
/// So on these chains the method is Newton with overflow handling, and Levenberg–Marquardt serves steps whose
/// evaluation overflows.</para>
/// <para>Cost: each trial (accepted or not) counts as an iteration: one batched evaluation, plus the bidiagonal
/// PCR for an undamped trial or the block-tridiagonal PCR (about 6 times its work, plus forming J^T J) for a damped
/// one. Every accepted iterate also costs the exact Jacobians and one bidiagonal PCR for the Newton correction,
/// which is the error estimate of the stopping rule (as for DeepPCR: stop when |d| &lt;= atol + rtol |z|
/// everywhere, keeping z). ResidualNorms and ErrorEstimates list the accepted iterates only.</para>
/// <para>Options: tolerances, initial guess and safeguards as for <see cref="ParallelChainSolver"/> (the growth
/// alarm watches the accepted iterates: at gain 3 in float32 the cut Newton iterates hold values near 1e38 and it
/// fires, as DeepPCR's non-finite alarm does); the iteration limit defaults to 2L (damped steps lose the
/// L-iteration guarantee); windows are ignored (the whole chain is solved at once); there is no windowed retry:
/// an alarm, or the iteration limit with safeguards on, falls back to the sequential pass.</para>
/// </remarks>
public sealed class DampedNewtonSolver : IChainSolver
{
    /// <summary>The shared instance.</summary>
    public static DampedNewtonSolver Instance { get; } = new();

    internal LevenbergMarquardtRule Rule { get; init; } = new();

    /// <inheritdoc />
    public string Name => "elk";

    /// <inheritdoc />
    public ChainSolution Solve(IChainStep step, Tensor input, SolverOptions? options = null) =>
        GlobalizedSolve.Solve(Name, step, input, options, batch => new LevenbergMarquardtControl(batch, Rule));
}

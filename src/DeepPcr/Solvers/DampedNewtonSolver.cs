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
/// Newton, and it is where every sample starts and returns: the undamped step is taken from the bidiagonal PCR
/// and accepted whenever it is finite, whatever it does to the merit ||R||^2. Only a non-finite undamped trial
/// is rejected; then lambda = 1 and Levenberg–Marquardt takes over: a damped trial is accepted when the merit
/// decreases, and lambda /= 3 (below 1e-6 it returns to 0, Newton); otherwise it is rejected and lambda *= 4.</para>
/// <para>Why accept a finite Newton step that raises the merit: undamped Newton in the DEER/correction form makes
/// state k exact after k iterations, so it converges in at most L iterations on any chain; a merit on the whole
/// chain judges an expansive chain's intermediate iterates (whose later residuals grow to 1e50 while the exact
/// prefix advances) as failures, and damping them gives up that guarantee: measured at gain 3, float64,
/// L = 256, w = 4 (see tests/DeepPcr.Tests/DampedNewtonTests.cs). Damping is for what Newton cannot survive:
/// overflow, which in float32 a correction-form step meets on expansive chains.</para>
/// <para>Cost: each trial (accepted or not) counts as an iteration: one batched evaluation, plus the bidiagonal
/// PCR for an undamped trial or the block-tridiagonal PCR for a damped one. Every accepted iterate also costs
/// the exact Jacobians and one bidiagonal PCR for the Newton correction, which is the error estimate of the
/// stopping rule (as for DeepPCR: stop when |d| &lt;= atol + rtol |z| everywhere, keeping z).</para>
/// <para>Options: tolerances, initial guess and safeguards as for <see cref="ParallelChainSolver"/>; the iteration
/// limit defaults to 2L (damped steps lose the L-iteration guarantee); windows are ignored (the whole chain is
/// solved at once); there is no windowed retry: an alarm or the iteration limit (with safeguards on) falls back to
/// the sequential pass.</para>
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

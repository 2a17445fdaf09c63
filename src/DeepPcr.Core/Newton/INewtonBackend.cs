namespace DeepPcr.Newton;

/// <summary>
/// The seam between the one Newton loop (<see cref="NewtonLoop"/>) and an engine: what one run over a contiguous
/// run of n steps from a known start state needs, and nothing else. The backend owns the iterate z (n, B, w), the
/// steps' outputs f_l(z_{l-1}) at it, their Jacobians in the chosen structure, the next iterate and a trial; the loop
/// sees only norms, ratios and per-sample merits. Implementations: TorchSharp operations (any device, autograd), the
/// host kernels (CPU float32/float64) and the GPU engine.
/// </summary>
/// <remarks>
/// The call order is fixed: <see cref="Start"/> once, then any number of rounds of <see cref="Linearize"/> (once per
/// accepted iterate), one of the Propose methods, <see cref="EvaluateTrial"/> and, when a sample takes its trial,
/// <see cref="Accept"/>. A backend that cannot carry out a step control throws <see cref="NotSupportedException"/>
/// from its Propose method; the engine selection never pairs them.
/// </remarks>
public interface INewtonBackend
{
    /// <summary>B, the samples solved at once (each sample is its own system).</summary>
    int Batch { get; }

    /// <summary>The PCR rounds of the most recent linear solve, as the kernel that ran it counted them (0 before any).</summary>
    int PcrRounds { get; }

    /// <summary>Evaluates every step at the first iterate (the guess) in one batched call.</summary>
    Evaluation Start();

    /// <summary>
    /// Linearises at the current iterate (the Jacobian choice of the backend), solves the linear recurrence for the
    /// next iterate (the correction form z + d while finite, the DEER form otherwise), and measures the current
    /// iterate's error for the stopping rule: the update |next - z| for exact Newton, the error-bound scan otherwise.
    /// </summary>
    /// <remarks>The measure is the run's own error, relative to the exact chain from its start state: the error carried in
    /// with the start state of a window is reported (<see cref="CarriedError"/>) but never part of the stopping test, so
    /// that an expansive chain in windows still converges window by window.</remarks>
    /// <param name="rule">The tolerances.</param>
    StopMeasure Linearize(StoppingRule rule);

    /// <summary>The trial is the next iterate of <see cref="Linearize"/> (plain steps).</summary>
    void ProposeNext();

    /// <summary>
    /// Per sample: lambda = 0 takes the Newton correction cut at the sample's first row that is not finite or whose new
    /// value exceeds <paramref name="cutBound"/> times the chain's scale; lambda &gt; 0 takes the Levenberg–Marquardt step
    /// of (J^T J + lambda I) d = J^T r.
    /// </summary>
    void ProposeDamped(IReadOnlyList<double> lambda, double cutBound);

    /// <summary>
    /// Per sample: the cut Newton correction with each state's update clipped to the radius in the infinity norm.
    /// Returns each sample's longest state update before clipping.
    /// </summary>
    IReadOnlyList<double> ProposeClipped(IReadOnlyList<double> radius, double cutBound);

    /// <summary>Evaluates every step at the trial (one batched call).</summary>
    Evaluation EvaluateTrial();

    /// <summary>Each sample for which <paramref name="take"/> holds adopts its trial; returns the new current iterate's evaluation.</summary>
    Evaluation Accept(IReadOnlyList<bool> take);
}

/// <summary>What one batched evaluation of the steps says to the loop.</summary>
/// <param name="ResidualNorm">max |f_l(z_{l-1}) - z_l| over every value (NaN or infinity when one is not finite).</param>
/// <param name="Merit">(B): each sample's ||r||^2 in float64 (infinity where not finite), or null when the step control needs none.</param>
public readonly record struct Evaluation(double ResidualNorm, IReadOnlyList<double>? Merit);

/// <summary>The stopping rule's measure of an iterate.</summary>
/// <param name="Ratio">The largest error estimate over its tolerance: at most 1 when the iterate is accepted.</param>
/// <param name="Estimate">The largest error estimate.</param>
public sealed record StopMeasure(double Ratio, double Estimate);

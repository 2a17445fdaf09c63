using DeepPcr.Solvers;

namespace DeepPcr.Newton;

/// <summary>What one run of the Newton loop did; the states stay with the backend.</summary>
/// <param name="Iterations">Trials made (each one evaluation and at least one linear solve).</param>
/// <param name="PcrRounds">PCR rounds per linear solve, as the kernels counted them (the largest seen).</param>
/// <param name="ResidualNorms">max |f_l(z_{l-1}) - z_l| at each accepted iterate, in order.</param>
/// <param name="ErrorEstimates">The stopping rule's estimate at each accepted iterate (NaN after an alarm).</param>
/// <param name="Termination">Converged or iteration limit; never fell back (the caller decides on fallbacks).</param>
/// <param name="Alarm">Why a safeguard fired, or null.</param>
public sealed record NewtonRun(
    int Iterations, int PcrRounds, IReadOnlyList<double> ResidualNorms, IReadOnlyList<double> ErrorEstimates,
    Termination Termination, string? Alarm);

/// <summary>The settings of one run of the loop, resolved: no defaults left to choose.</summary>
/// <param name="MaxIterations">The iteration limit.</param>
/// <param name="Rule">The stopping rule.</param>
/// <param name="Safeguards">The safeguard policy.</param>
public sealed record NewtonSettings(int MaxIterations, StoppingRule Rule, Safeguards Safeguards);

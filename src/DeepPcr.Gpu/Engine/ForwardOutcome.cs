using DeepPcr.Newton;
using DeepPcr.Solvers;

namespace DeepPcr.Gpu.Engine;

/// <summary>
/// What a device forward solve did: the Newton run in the core's record, how it ended and which fallback (if any)
/// produced the states. The states stay on the device in <see cref="ChainWorkspace.States"/>.
/// </summary>
/// <param name="Run">The Newton run: iterations, PCR rounds as the kernels counted them, residual norms and error
/// estimates per accepted iterate (starting with the cold guess), the run's own termination and alarm.</param>
/// <param name="FinalRatio">The stopping test's last max |update| / (atol + rtol |z|) (at most 1 when converged).</param>
/// <param name="DeerSteps">Iterations that fell back from the correction form to the DEER form because a value was not finite.</param>
public sealed record ForwardOutcome(NewtonRun Run, double FinalRatio, int DeerSteps)
{
    /// <summary>Converged, iteration limit (safeguards off), or fell back (a safeguard fired, or the limit with safeguards on).</summary>
    public Termination Termination { get; init; } = Run.Termination;

    /// <summary>The fallback that produced the states: none, or the sequential pass on the device.</summary>
    public Fallback Fallback { get; init; } = Fallback.None;

    /// <summary>Why the solve fell back (the alarm, or no convergence within the limit), or null.</summary>
    public string? Reason { get; init; } = Run.Alarm;

    /// <summary>Newton updates made (the trials of the loop, including those of a run that fell back).</summary>
    public int Iterations => Run.Iterations;

    /// <summary>PCR rounds per linear solve, as the kernels counted them.</summary>
    public int PcrRounds => Run.PcrRounds;

    /// <summary>max |f(z) - z| at each iterate, starting with the cold guess.</summary>
    public IReadOnlyList<double> Residuals => Run.ResidualNorms;
}

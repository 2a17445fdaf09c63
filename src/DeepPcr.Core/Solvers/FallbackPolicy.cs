using DeepPcr.Newton;

namespace DeepPcr.Solvers;

/// <summary>When a run of the Newton loop must give way to a fallback, under the policy of <see cref="Safeguards"/>.</summary>
public static class FallbackPolicy
{
    /// <summary>
    /// Why the run must fall back, or null when its states stand: the alarm of a safeguard, or, with the safeguards
    /// on, the iteration limit reached unconverged (a wrong answer is never reported as converged).
    /// </summary>
    /// <param name="policy">The safeguard policy the run ran under.</param>
    /// <param name="run">The run.</param>
    public static string? FallbackReason(this Safeguards policy, NewtonRun run)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(run);
        return run.Alarm
            ?? (run.Termination == Termination.IterationLimit && policy.Enabled ? $"no convergence within {run.Iterations} iterations" : null);
    }
}

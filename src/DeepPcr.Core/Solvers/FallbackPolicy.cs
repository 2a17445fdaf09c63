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
        ArgumentNullException.ThrowIfNull(run);
        return policy.FallbackReason(run.Alarm, run.Termination, run.Iterations);
    }

    /// <summary>As for a run, from its alarm, termination and iterations (for runs made of several windows).</summary>
    public static string? FallbackReason(this Safeguards policy, string? alarm, Termination termination, int iterations)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return alarm ?? (termination == Termination.IterationLimit && policy.Enabled ? $"no convergence within {iterations} iterations" : null);
    }
}

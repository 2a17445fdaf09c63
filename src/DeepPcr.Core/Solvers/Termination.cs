namespace DeepPcr.Solvers;

/// <summary>How a solve ended.</summary>
public enum Termination
{
    /// <summary>The stopping rule was met: the error estimate is below atol + rtol |z| everywhere.</summary>
    Converged,

    /// <summary>The iteration limit was reached before the stopping rule was met; the states are the last iterate.</summary>
    IterationLimit,

    /// <summary>A safeguard fired and a fallback produced the states (the result names which, as a <see cref="Fallback"/>).</summary>
    FellBack,
}

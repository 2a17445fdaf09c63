namespace DeepPcr.Newton;

/// <summary>
/// What the Newton loop uses for the blocks A_l of its linear solve. The residual is always exact, so every choice
/// has the same fixed point; they differ in the iterations they need and in what an iteration costs.
/// </summary>
public enum JacobianChoice
{
    /// <summary>The step's exact Jacobian in its declared structure (Newton: DeepPCR, DEER).</summary>
    Exact,

    /// <summary>The diagonal of the exact Jacobian (quasi-Newton, quasi-DEER).</summary>
    Diagonal,

    /// <summary>trace / w times the identity (quasi-Newton).</summary>
    Scalar,

    /// <summary>No linear part, A = 0: the Jacobi / Picard iteration z_l = f_l(z_{l-1}).</summary>
    None,
}

/// <summary>Properties of a <see cref="JacobianChoice"/>.</summary>
public static class JacobianChoices
{
    /// <summary>
    /// True when the next update is a fair estimate of the current iterate's error (exact Newton); otherwise the
    /// stopping rule runs the error-bound scan (<see cref="ErrorBound"/>).
    /// </summary>
    public static bool UpdateEstimatesError(this JacobianChoice choice) => choice == JacobianChoice.Exact;
}

namespace DeepPcr.Newton;

/// <summary>
/// The stopping rule: an iterate is accepted when the error estimate e_l of every state is at most atol + rtol |z_l|
/// (elementwise for update-based estimates, per state for the error-bound scan).
/// </summary>
/// <param name="Atol">Absolute tolerance, at least 0.</param>
/// <param name="Rtol">Relative tolerance, at least 0.</param>
public sealed record StoppingRule(double Atol, double Rtol)
{
    /// <summary>The default tolerances of a dtype: atol 1e-6, rtol 1e-5 in single precision; 1e-12 and 1e-10 in double.</summary>
    /// <param name="singlePrecision">True for float32 states.</param>
    /// <param name="atol">An explicit atol, or null for the default.</param>
    /// <param name="rtol">An explicit rtol, or null for the default.</param>
    public static StoppingRule For(bool singlePrecision, double? atol = null, double? rtol = null) =>
        new(atol ?? (singlePrecision ? 1e-6 : 1e-12), rtol ?? (singlePrecision ? 1e-5 : 1e-10));

    /// <summary>e / (atol + rtol |z|): at most 1 where the estimate meets the rule; NaN where e is NaN.</summary>
    /// <param name="error">The error estimate e.</param>
    /// <param name="stateMagnitude">|z| (or a norm of the state).</param>
    public double Ratio(double error, double stateMagnitude) => error / (Atol + Rtol * stateMagnitude);
}

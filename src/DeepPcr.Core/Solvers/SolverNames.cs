namespace DeepPcr.Solvers;

/// <summary>
/// The one table of names for methods, engines, fallbacks and terminations, as results, JSON and the command line
/// spell them (docs/measuring.md). Names are stable: new ones are added, none is renamed.
/// </summary>
public static class SolverNames
{
    private static readonly (ChainMethod Method, string Name)[] Methods =
    {
        (ChainMethod.Sequential, "sequential"),
        (ChainMethod.DeepPcr, "deeppcr"),
        (ChainMethod.QuasiNewtonDiagonal, "quasi-newton-diagonal"),
        (ChainMethod.QuasiNewtonScalar, "quasi-newton-scalar"),
        (ChainMethod.Picard, "picard"),
        (ChainMethod.Elk, "elk"),
        (ChainMethod.TrustRegion, "deeppcr-trust-region"),
        (ChainMethod.QuasiSqrtAlpha, "quasi-sqrt-alpha"),
        (ChainMethod.QuasiTrace, "quasi-trace"),
    };

    /// <summary>The method's base name, e.g. "deeppcr".</summary>
    public static string Name(this ChainMethod method) => Methods.First(m => m.Method == method).Name;

    /// <summary>The name a result reports: the base name, "-chunked" when the linear solves used chunked PCR, "-window" when windowed.</summary>
    /// <param name="method">The method.</param>
    /// <param name="chunked">Chunked PCR ran.</param>
    /// <param name="windowed">A sliding window ran.</param>
    public static string Name(ChainMethod method, bool chunked, bool windowed) =>
        method.Name() + (chunked ? "-chunked" : "") + (windowed ? "-window" : "");

    /// <summary>The method with base name <paramref name="name"/>, or null.</summary>
    public static ChainMethod? ParseMethod(string name)
    {
        foreach (var (method, text) in Methods)
        {
            if (text == name) return method;
        }
        return null;
    }

    /// <summary>"torch", "host" or "gpu".</summary>
    public static string Name(this ChainEngine engine) => engine switch
    {
        ChainEngine.Torch => "torch",
        ChainEngine.Host => "host",
        _ => "gpu",
    };

    /// <summary>"none", "window" or "sequential".</summary>
    public static string Name(this Fallback fallback) => fallback switch
    {
        Fallback.None => "none",
        Fallback.Window => "window",
        _ => "sequential",
    };

    /// <summary>"converged", "iteration_limit" or "fell_back".</summary>
    public static string Name(this Termination termination) => termination switch
    {
        Termination.Converged => "converged",
        Termination.IterationLimit => "iteration_limit",
        _ => "fell_back",
    };
}

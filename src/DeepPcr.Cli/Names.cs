using DeepPcr.Solvers;

namespace DeepPcr.Cli;

/// <summary>The JSON spellings of library enums (docs/measuring.md).</summary>
public static class Names
{
    /// <summary>"converged", "iteration_limit" or "fell_back".</summary>
    public static string Of(Termination termination) => termination switch
    {
        Termination.Converged => "converged",
        Termination.IterationLimit => "iteration_limit",
        _ => "fell_back",
    };
}

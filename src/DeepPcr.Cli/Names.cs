using System.Text.Json.Nodes;
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

    /// <summary>The outcome fields of one solve: method, engine, iterations, pcr_rounds, termination, fallback.</summary>
    public static JsonObject Outcome(ChainSolution solution) => new()
    {
        ["method"] = solution.MethodName,
        ["engine"] = solution.EngineName,
        ["iterations"] = solution.Iterations,
        ["pcr_rounds"] = solution.PcrRounds,
        ["termination"] = Of(solution.Termination),
        ["fallback"] = solution.FallbackName,
    };
}

using DeepPcr.Chains;
using DeepPcr.Solvers;

namespace DeepPcr.Cli.Solvers;

/// <summary>The methods `deeppcr bench solvers` compares, by the name its rows use.</summary>
public static class SolverCatalog
{
    /// <summary>Every method, in table order: the requested name, the solver and its options.</summary>
    public static IReadOnlyList<(string Name, IChainSolver Solver, SolverOptions Options)> All { get; } = new (string, IChainSolver, SolverOptions)[]
    {
        ("sequential", SequentialSolver.Instance, SolverOptions.Default),
        ("deeppcr", ParallelChainSolver.DeepPcr, SolverOptions.Default),
        ("deeppcr-chunked", ParallelChainSolver.DeepPcr, new SolverOptions(ChunkSize: 0)),
        ("quasi-newton-diagonal", ParallelChainSolver.QuasiNewton(JacobianStructure.Diagonal), SolverOptions.Default),
        ("quasi-newton-scalar", ParallelChainSolver.QuasiNewton(JacobianStructure.Scalar), SolverOptions.Default),
        ("picard", ParallelChainSolver.Picard, SolverOptions.Default),
        ("elk", DampedNewtonSolver.Instance, SolverOptions.Default),
        ("deeppcr-trust-region", TrustRegionSolver.Instance, SolverOptions.Default),
        ("auto", AutoSolver.Instance, SolverOptions.Default),
    };

    /// <summary>The Jacobian structure a method builds (null: none, for the sequential pass and Picard).</summary>
    public static JacobianStructure? StructureOf(string name) => name switch
    {
        "sequential" or "picard" => null,
        "quasi-newton-diagonal" => JacobianStructure.Diagonal,
        "quasi-newton-scalar" => JacobianStructure.Scalar,
        _ => JacobianStructure.Dense,
    };

    /// <summary>The entries named in a comma-separated list, or all for "all".</summary>
    /// <exception cref="ArgumentException">An unknown name.</exception>
    public static IReadOnlyList<(string Name, IChainSolver Solver, SolverOptions Options)> Parse(string names)
    {
        if (names.Trim() == "all") return All;
        var picked = new List<(string, IChainSolver, SolverOptions)>();
        foreach (string name in names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var entry = All.FirstOrDefault(e => e.Name == name);
            if (entry.Solver is null) throw new ArgumentException($"Unknown method '{name}'; use all or any of {string.Join(", ", All.Select(e => e.Name))}.");
            picked.Add(entry);
        }
        return picked;
    }
}

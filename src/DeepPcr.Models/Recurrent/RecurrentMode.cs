using DeepPcr.Solvers;

namespace DeepPcr.Models.Recurrent;

/// <summary>How a <see cref="ParallelGru"/> or <see cref="ParallelLstm"/> solves each layer's chain along the sequence.</summary>
public enum RecurrentMode
{
    /// <summary>The sequential pass, one step after another ("sequential"): the reference.</summary>
    Sequential,

    /// <summary>Newton with the cell's exact Jacobian in its structure, each step one PCR solve along T ("deeppcr").</summary>
    Parallel,

    /// <summary>The method <see cref="AutoSolver"/>'s cost model expects to be faster for this cell, batch and machine ("auto").</summary>
    Auto,
}

/// <summary>The solvers behind <see cref="RecurrentMode"/>.</summary>
public static class RecurrentModes
{
    /// <summary>The solver a mode runs: <see cref="SequentialSolver"/>, <see cref="ParallelChainSolver.DeepPcr"/> or <see cref="AutoSolver"/>.</summary>
    public static IChainSolver Solver(this RecurrentMode mode) => mode switch
    {
        RecurrentMode.Sequential => SequentialSolver.Instance,
        RecurrentMode.Parallel => ParallelChainSolver.DeepPcr,
        RecurrentMode.Auto => AutoSolver.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown recurrent mode."),
    };
}

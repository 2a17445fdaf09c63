using DeepPcr.Cli.Solvers;
using DeepPcr.Recurrent;

namespace DeepPcr.Cli.Training;

/// <summary>Settings of `deeppcr train charlm`.</summary>
/// <param name="Cell">The recurrent cell of every layer.</param>
/// <param name="Layers">Recurrent layers.</param>
/// <param name="Hidden">H (the embedding width too).</param>
/// <param name="Steps">Optimiser steps per solver.</param>
/// <param name="Batch">Sequences per step.</param>
/// <param name="Length">Characters per sequence T (the chain length of every layer).</param>
/// <param name="LearningRate">Adam's learning rate.</param>
/// <param name="Solvers">"sequential" and/or one parallel method of the solver catalog.</param>
/// <param name="Seed">Seed of the weights, the batches and the sample.</param>
/// <param name="LogEvery">Steps between logged losses (1 to 5; the first and last step are always logged).</param>
/// <param name="EvalChars">Held-out characters scored for bits per character.</param>
/// <param name="SampleChars">Characters generated after the prompt.</param>
public sealed record CharLmOptions(RecurrentCell Cell, int Layers, int Hidden, int Steps, int Batch, int Length, double LearningRate,
    string[] Solvers, long Seed, int LogEvery, int EvalChars, int SampleChars)
{
    /// <summary>The defaults: two gru-diag layers of 64, 300 steps of 16 sequences of 128 characters, Adam 1e-2, both solvers (about 2.5 minutes for both on 2 loaded cores).</summary>
    public static CharLmOptions Default { get; } = new(RecurrentCell.GruDiag, 2, 64, 300, 16, 128, 1e-2, new[] { "sequential", "deeppcr" }, 0, 5, 16384, 200);

    /// <summary>The prompt of the generated sample.</summary>
    public const string Prompt = "And God said";

    /// <summary>Throws <see cref="ArgumentException"/> for settings that cannot run (exit 2).</summary>
    public void Validate()
    {
        if (Layers < 1 || Layers > 64) throw new ArgumentException($"--layers must be 1 to 64 (got {Layers}).");
        if (Hidden < 1 || Hidden > 4096) throw new ArgumentException($"--hidden must be 1 to 4096 (got {Hidden}).");
        if (Steps < 1) throw new ArgumentException($"--steps must be at least 1 (got {Steps}).");
        if (Batch < 1 || Batch > 4096) throw new ArgumentException($"--batch must be 1 to 4096 (got {Batch}).");
        if (Length < 1 || Length > 1_000_000) throw new ArgumentException($"--length must be 1 to 1000000 (got {Length}).");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentException($"--lr must be a positive number (got {LearningRate}).");
        if (LogEvery < 1 || LogEvery > 5) throw new ArgumentException($"--log-every must be 1 to 5 (got {LogEvery}).");
        if (EvalChars < 2) throw new ArgumentException($"--eval-chars must be at least 2 (got {EvalChars}).");
        if (SampleChars < 0 || SampleChars > 100_000) throw new ArgumentException($"--sample-chars must be 0 to 100000 (got {SampleChars}).");
        if (Solvers.Length == 0) throw new ArgumentException("--solver needs at least one method.");
        if (Solvers.Count(s => s != "sequential") > 1) throw new ArgumentException($"--solver: at most one parallel method besides sequential (got {string.Join(", ", Solvers)}).");
        foreach (string s in Solvers) SolverCatalog.Parse(s);
    }

    /// <summary>"both" (sequential and deeppcr) or a comma-separated list.</summary>
    public static string[] ParseSolvers(string text) => text.Trim() == "both"
        ? Default.Solvers
        : text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct().ToArray();

    /// <summary>The JSON key of a solver's run: "sequential", or "parallel" for the parallel method.</summary>
    public static string Key(string solver) => solver == "sequential" ? "sequential" : "parallel";
}

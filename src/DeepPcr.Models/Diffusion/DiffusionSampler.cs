using DeepPcr.Chains;
using DeepPcr.Solvers;

namespace DeepPcr.Models.Diffusion;

/// <summary>
/// A way to sample the diffusion chain, by name: every sampler is one of the core's methods (sequential pass,
/// Newton–PCR, quasi-Newton with a diffusion-specific scalar, Picard, windowed Picard) with its settings.
/// </summary>
/// <param name="Name">The `--solver` value and JSON key.</param>
/// <param name="Solver">Builds the core method for a chain.</param>
/// <param name="Window">The window, for windowed samplers.</param>
public sealed record DiffusionSampler(string Name, Func<DiffusionChain, IChainSolver> Solver, int? Window = null)
{
    /// <summary>The names, in the order `--solver all` runs them.</summary>
    public static readonly string[] Names = { "sequential", "deeppcr-dense", "quasi-sqrt-alpha", "quasi-trace", "picard", "picard-window" };

    /// <summary>The sampler of a name.</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <param name="window">Window of picard-window (ParaDiGMS-style sliding window).</param>
    /// <exception cref="ArgumentException">An unknown name.</exception>
    public static DiffusionSampler Create(string name, int window) => name switch
    {
        "sequential" => new(name, _ => SequentialSolver.Instance),
        "deeppcr-dense" => new(name, _ => ParallelChainSolver.DeepPcr),
        "quasi-sqrt-alpha" => new(name, c => new ParallelChainSolver(DiffusionLinearizations.SqrtAlpha(c))),
        "quasi-trace" => new(name, c => new ParallelChainSolver(DiffusionLinearizations.Trace(c))),
        "picard" => new(name, _ => ParallelChainSolver.Picard),
        "picard-window" => new(name, _ => ParallelChainSolver.Picard, window),
        _ => throw new ArgumentException($"Unknown sampler '{name}'; use {string.Join(", ", Names)} or all."),
    };

    /// <summary>True for the sequential pass.</summary>
    public bool IsSequential => Name == "sequential";
}

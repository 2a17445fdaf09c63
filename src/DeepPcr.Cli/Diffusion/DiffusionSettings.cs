namespace DeepPcr.Cli.Diffusion;

/// <summary>Settings of `deeppcr sample diffusion`.</summary>
/// <param name="Model">Checkpoint path, or null for the committed one.</param>
/// <param name="Steps">T, or null for the checkpoint's.</param>
/// <param name="Count">Samples N.</param>
/// <param name="Solvers">Sampler names.</param>
/// <param name="Tolerance">atol of the stopping rule (rtol 0).</param>
/// <param name="Window">Window of picard-window.</param>
/// <param name="MaxIterations">Iteration limit, or null for T.</param>
/// <param name="Seed">Seed of x_T and every step's noise.</param>
/// <param name="Chunk">Samples solved at once.</param>
public sealed record DiffusionSettings(string? Model, int? Steps, int Count, string[] Solvers, double Tolerance, int Window, int? MaxIterations, long Seed, int Chunk)
{
    /// <summary>Throws <see cref="ArgumentException"/> for settings that cannot run.</summary>
    public void Validate()
    {
        if (Steps is < 2) throw new ArgumentException($"--steps must be at least 2 (got {Steps}).");
        if (Count < 1) throw new ArgumentException($"--count must be at least 1 (got {Count}).");
        if (!(Tolerance > 0)) throw new ArgumentException($"--tolerance must be positive (got {Tolerance}).");
        if (Window < 1) throw new ArgumentException($"--window must be at least 1 (got {Window}).");
        if (MaxIterations is < 1) throw new ArgumentException($"--max-iterations must be at least 1 (got {MaxIterations}).");
        if (Chunk < 1) throw new ArgumentException($"--chunk must be at least 1 (got {Chunk}).");
    }
}

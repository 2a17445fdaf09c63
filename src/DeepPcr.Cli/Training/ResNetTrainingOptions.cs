namespace DeepPcr.Cli.Training;

/// <summary>Settings of `deeppcr train resnet`.</summary>
/// <param name="Depth">Residual blocks L.</param>
/// <param name="Width">Block width w.</param>
/// <param name="Epochs">Epochs per solver.</param>
/// <param name="Batch">Minibatch size.</param>
/// <param name="LearningRate">Adam's learning rate.</param>
/// <param name="Solvers">Solvers to train, in the order they take turns each epoch.</param>
/// <param name="Data">"digits" or "mnist:DIR".</param>
/// <param name="Seed">Seed of the initial weights and the minibatch order.</param>
public sealed record ResNetTrainingOptions(int Depth, int Width, int Epochs, int Batch, double LearningRate, string[] Solvers, string Data, long Seed)
{
    /// <summary>The solver names: plain autograd; the fast sequential pass with the host kernels' adjoint backward (no
    /// Newton: the baseline a user gets from the library without DeepPCR's forward); DeepPCR from a cold start; DeepPCR
    /// warm-started from the previous epoch.</summary>
    public static readonly string[] AllSolvers = { "sequential", "sequential-host", "deeppcr", "deeppcr-warm" };

    /// <summary>The sequential baselines among <see cref="AllSolvers"/>: DeepPCR's speed-ups are quoted against the faster.</summary>
    public static readonly string[] SequentialSolvers = { "sequential", "sequential-host" };

    /// <summary>Throws <see cref="ArgumentException"/> for settings that cannot run.</summary>
    public void Validate()
    {
        if (Depth < 1) throw new ArgumentException($"--depth must be at least 1 (got {Depth}).");
        if (Width < 1) throw new ArgumentException($"--width must be at least 1 (got {Width}).");
        if (Epochs < 1) throw new ArgumentException($"--epochs must be at least 1 (got {Epochs}).");
        if (Batch < 1) throw new ArgumentException($"--batch must be at least 1 (got {Batch}).");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentException($"--lr must be a positive number (got {LearningRate}).");
        foreach (string s in Solvers)
        {
            if (!AllSolvers.Contains(s)) throw new ArgumentException($"Unknown solver '{s}'; use {string.Join(", ", AllSolvers)} or all.");
        }
    }

    /// <summary>Expands "all" and splits a comma-separated list.</summary>
    public static string[] ParseSolvers(string text) =>
        text.Trim() == "all" ? AllSolvers : text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct().ToArray();
}

using static TorchSharp.torch;

namespace DeepPcr.Solvers;

/// <summary>
/// Every setting of a chain solve, in one record.
/// </summary>
/// <param name="MaxIterations">Iteration limit; null means L (the window's length when windowed): with
/// undamped steps, layer k is exact after k iterations, so L iterations always suffice.</param>
/// <param name="AbsoluteTolerance">atol of the stopping rule; null: 1e-6 in float32, 1e-12 in float64.</param>
/// <param name="RelativeTolerance">rtol of the stopping rule; null: 1e-5 in float32, 1e-10 in float64.
/// Iteration stops when the error estimate of every state is at most atol + rtol |z_l|.</param>
/// <param name="InitialGuess">Where the iterations start.</param>
/// <param name="Guess">(L, B, w): the states to start from when <see cref="InitialGuess"/> is Given.</param>
/// <param name="Window">Solve W steps at a time (sliding window), or null for the whole chain at once.</param>
/// <param name="Safeguards">The safeguard and fallback policy.</param>
/// <param name="ChunkSize">Null: plain PCR, ceil(log2 n) rounds per solve (DeepPCR). Otherwise hybrid chunked PCR
/// (<see cref="Linear.ChunkedPcr"/>) for every linear solve of a Newton or quasi-Newton step on CPU tensors, with
/// chunks of that many rows, or, for 0, the chunk size of <see cref="Linear.ChunkedPcr.ChooseChunkSize"/>; the
/// method is then reported with "-chunked".</param>
public sealed record SolverOptions(
    int? MaxIterations = null,
    double? AbsoluteTolerance = null,
    double? RelativeTolerance = null,
    InitialGuess InitialGuess = InitialGuess.Zeros,
    Tensor? Guess = null,
    int? Window = null,
    Safeguards? Safeguards = null,
    int? ChunkSize = null)
{
    /// <summary>The defaults: cold start from zeros, whole chain, default tolerances and safeguards.</summary>
    public static SolverOptions Default { get; } = new();

    /// <summary>The safeguard policy in force.</summary>
    public Safeguards Policy => Safeguards ?? Solvers.Safeguards.Default;

    /// <summary>The chunk size for n rows of B samples and width w, or 0 for plain PCR.</summary>
    public int ChunkFor(int rows, int batch, int width, Linear.BlockStructure structure) => ChunkSize switch
    {
        null => 0,
        0 => Linear.ChunkedPcr.ChooseChunkSize(rows, batch, width, structure, Linear.HostThreads.Limit),
        int c => Math.Min(c, rows),
    };

    /// <summary>The stopping rule for states of the given dtype: these tolerances, or the core's defaults for it.</summary>
    public Newton.StoppingRule Rule(ScalarType dtype) => Newton.StoppingRule.For(dtype == ScalarType.Float32, AbsoluteTolerance, RelativeTolerance);

    /// <summary>atol for the given dtype.</summary>
    public double Atol(ScalarType dtype) => Rule(dtype).Atol;

    /// <summary>rtol for the given dtype.</summary>
    public double Rtol(ScalarType dtype) => Rule(dtype).Rtol;

    /// <summary>Throws <see cref="ArgumentException"/> on settings that cannot work.</summary>
    public void Validate()
    {
        if (MaxIterations is < 0) throw new ArgumentException($"MaxIterations is {MaxIterations}; it must be at least 0.");
        if (AbsoluteTolerance is < 0 || RelativeTolerance is < 0 || AbsoluteTolerance is double.NaN || RelativeTolerance is double.NaN)
        {
            throw new ArgumentException("Tolerances must be non-negative numbers.");
        }
        if (Window is < 1) throw new ArgumentException($"Window is {Window}; it must be at least 1.");
        if (ChunkSize is < 0) throw new ArgumentException($"ChunkSize is {ChunkSize}; it must be 0 (automatic) or a positive number of rows.");
        if (InitialGuess == InitialGuess.Given && Guess is null) throw new ArgumentException("InitialGuess is Given but no Guess tensor was set.");
        if (Policy.GrowthFactor is not > 1 || Policy.GrowthIterations < 1 || Policy.FallbackWindow < 0)
        {
            throw new ArgumentException("Safeguards need GrowthFactor > 1, GrowthIterations >= 1 and FallbackWindow >= 0.");
        }
    }
}

namespace DeepPcr.Gpu.Engine;

/// <summary>Settings of the device engine, in one record.</summary>
/// <param name="Atol">atol of the stopping rule (float32 default of the CPU engine: 1e-6).</param>
/// <param name="Rtol">rtol of the stopping rule (1e-5). Newton stops when max |update| / (atol + rtol |z|) &lt;= 1.</param>
/// <param name="MaxIterations">Iteration limit; null means L (undamped Newton is exact after L iterations).</param>
/// <param name="TiledFromWidth">PCR rounds use the shared-memory tiled kernel from this width on, and the
/// per-entry kernel below it (16: from there a block's w^2 entries fill a group and reuse pays; tests lower it
/// to exercise the tiled kernel at small widths).</param>
public sealed record EngineOptions(double Atol = 1e-6, double Rtol = 1e-5, int? MaxIterations = null, int TiledFromWidth = 16)
{
    /// <summary>The defaults.</summary>
    public static EngineOptions Default { get; } = new();

    /// <summary>Throws on settings that cannot work.</summary>
    /// <exception cref="ArgumentException">Negative or NaN tolerances, a negative iteration limit, a tiling width below 1.</exception>
    public void Validate()
    {
        if (!(Atol >= 0) || !(Rtol >= 0)) throw new ArgumentException("Tolerances must be non-negative numbers.");
        if (MaxIterations is < 0) throw new ArgumentException($"MaxIterations is {MaxIterations}; it must be at least 0.");
        if (TiledFromWidth < 1) throw new ArgumentException($"TiledFromWidth is {TiledFromWidth}; it must be at least 1.");
    }
}

using DeepPcr.Newton;
using DeepPcr.Solvers;

namespace DeepPcr.Gpu.Engine;

/// <summary>
/// Settings of the device engine, in one record. The stopping rule, the iteration limit and the safeguards are the
/// core's (<see cref="StoppingRule"/>, <see cref="Solvers.Safeguards"/>), resolved into <see cref="NewtonSettings"/> as
/// every engine resolves them; the rest chooses the device's thread mapping.
/// </summary>
/// <param name="MaxIterations">Iteration limit; null means L (undamped Newton is exact after L iterations).</param>
/// <param name="TiledFromWidth">PCR rounds use the shared-memory tiled kernel from this width on, and the
/// per-entry kernel below it (16: from there a block's w^2 entries fill a group and reuse pays; tests lower it
/// to exercise the tiled kernel at small widths).</param>
/// <param name="OneGroupMaxWork">Problems with L B w^3 (multiply-adds per PCR round) up to this run each Newton iteration
/// and the backward pass as one launch of one thread group (<see cref="Kernels.OneGroupKernels"/>); larger ones launch a
/// kernel per stage and per round over the whole device. 2^18 by default: about a microsecond of one H100
/// multiprocessor's arithmetic per round, less than a kernel launch costs. 0 turns the one-group path off.</param>
/// <param name="DeviceLoop">On the one-group path, run the whole Newton loop in one launch with the stopping test on the
/// device (<see cref="DeviceLoop"/>: same iterations and stopping rule; the host reads back once per solve instead of
/// once per iteration). False runs <see cref="NewtonLoop"/> on the host, one launch per iteration.</param>
public sealed record EngineOptions(int? MaxIterations = null, int TiledFromWidth = 16, long OneGroupMaxWork = 1 << 18, bool DeviceLoop = true)
{
    /// <summary>The defaults.</summary>
    public static EngineOptions Default { get; } = new();

    /// <summary>The stopping rule: the core's float32 defaults (atol 1e-6, rtol 1e-5) unless set.</summary>
    public StoppingRule Rule { get; init; } = StoppingRule.For(singlePrecision: true);

    /// <summary>The safeguard policy (on by default): an alarm, or the iteration limit, falls back to the sequential pass.</summary>
    public Safeguards Safeguards { get; init; } = Safeguards.Default;

    /// <summary>The loop's settings for a chain of this length: the limit resolved (the length when unset), the rule, the safeguards.</summary>
    /// <param name="length">L (layers) or T (steps).</param>
    /// <returns>The settings every path of the engine runs under.</returns>
    public NewtonSettings SettingsFor(int length) => new(MaxIterations ?? length, Rule, Safeguards);

    /// <summary>Whether a problem of these sizes runs on the one-group path.</summary>
    /// <param name="d">The sizes.</param>
    /// <returns>True when L B w^3 &lt;= <see cref="OneGroupMaxWork"/>.</returns>
    public bool UsesOneGroup(Kernels.ChainDims d) => (long)d.Layers * d.Batch * d.Width * d.Width * d.Width <= OneGroupMaxWork;

    /// <summary>The engine path in words, for reports.</summary>
    /// <param name="d">The sizes.</param>
    /// <returns>"one group", "per entry" or "tiled".</returns>
    public string PathName(Kernels.ChainDims d) =>
        UsesOneGroup(d) ? (DeviceLoop ? "one group, Newton loop on the device (one launch per forward and per backward pass)" : "one group (one launch per Newton iteration and per backward pass)")
        : d.Width >= TiledFromWidth ? "tiled (a launch per stage and PCR round; one group per block, shared memory)"
        : "per entry (a launch per stage and PCR round; one thread per block entry)";

    /// <summary>Throws on settings that cannot work.</summary>
    /// <exception cref="ArgumentException">Negative or NaN tolerances, a negative iteration limit, a tiling width below 1, a missing rule or policy.</exception>
    public void Validate()
    {
        if (Rule is null || Safeguards is null) throw new ArgumentException("Rule and Safeguards must be set.");
        if (!(Rule.Atol >= 0) || !(Rule.Rtol >= 0)) throw new ArgumentException("Tolerances must be non-negative numbers.");
        if (MaxIterations is < 0) throw new ArgumentException($"MaxIterations is {MaxIterations}; it must be at least 0.");
        if (OneGroupMaxWork < 0) throw new ArgumentException($"OneGroupMaxWork is {OneGroupMaxWork}; it must be at least 0.");
        if (TiledFromWidth < 1) throw new ArgumentException($"TiledFromWidth is {TiledFromWidth}; it must be at least 1.");
    }
}

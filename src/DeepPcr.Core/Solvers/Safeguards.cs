namespace DeepPcr.Solvers;

/// <summary>
/// The safeguard policy (DESIGN.md section 1.5). When enabled, a non-finite residual always fires it, and so
/// does growth: the residual norm above <see cref="GrowthFactor"/> times its initial value for
/// <see cref="GrowthIterations"/> consecutive iterations. When it fires, the solver falls back: first a
/// windowed retry of the same method with windows of <see cref="FallbackWindow"/> steps (bounded products
/// cannot overflow as a whole chain can), then the sequential pass. The result names the fallback that ran.
/// </summary>
/// <param name="Enabled">False is the policy Off, for tests and experts: iterate whatever happens.</param>
/// <param name="GrowthFactor">K: how far above the initial residual counts as growth.</param>
/// <param name="GrowthIterations">m: consecutive iterations of growth that fire the safeguard.</param>
/// <param name="FallbackWindow">Window of the windowed retry; 0 skips it and goes straight to sequential.</param>
public sealed record Safeguards(bool Enabled = true, double GrowthFactor = 1e4, int GrowthIterations = 2, int FallbackWindow = 16)
{
    /// <summary>The default policy: on, K = 1e4, m = 2, windowed retry over 16 steps, then sequential.</summary>
    public static Safeguards Default { get; } = new();

    /// <summary>No safeguards: the solver iterates whatever the residual does.</summary>
    public static Safeguards Off { get; } = new(Enabled: false);
}

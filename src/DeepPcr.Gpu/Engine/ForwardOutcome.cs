namespace DeepPcr.Gpu.Engine;

/// <summary>What a device Newton–PCR forward solve did. Its states stay on the device in <see cref="ChainWorkspace.States"/>.</summary>
/// <param name="Iterations">Newton updates applied to the accepted states (the CPU engine's count).</param>
/// <param name="PcrRounds">PCR rounds per linear solve: ceil(log2 L).</param>
/// <param name="Termination">Converged or iteration limit.</param>
/// <param name="Residuals">max |f(z) - z| at each iterate, starting with the cold guess.</param>
/// <param name="FinalRatio">The stopping test's last max |update| / (atol + rtol |z|) (at most 1 when converged).</param>
/// <param name="DeerSteps">Iterations that fell back from the correction form to the DEER form because a value was not finite.</param>
public sealed record ForwardOutcome(int Iterations, int PcrRounds, GpuTermination Termination, IReadOnlyList<double> Residuals, double FinalRatio, int DeerSteps);

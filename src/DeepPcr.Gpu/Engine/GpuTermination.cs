namespace DeepPcr.Gpu.Engine;

/// <summary>How a device Newton solve ended.</summary>
public enum GpuTermination
{
    /// <summary>The stopping rule held: max |update| &lt;= atol + rtol |z| for every state.</summary>
    Converged,

    /// <summary>The iteration limit was reached first; the states are the last iterate.</summary>
    IterationLimit,
}

/// <summary>JSON names of <see cref="GpuTermination"/>, as in docs/measuring.md.</summary>
public static class GpuTerminationNames
{
    /// <summary>"converged" or "iteration_limit".</summary>
    /// <param name="termination">The termination.</param>
    /// <returns>Its name.</returns>
    public static string Name(this GpuTermination termination) =>
        termination == GpuTermination.Converged ? "converged" : "iteration_limit";
}

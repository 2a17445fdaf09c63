using DeepPcr.Backward;
using DeepPcr.Solvers;
using static TorchSharp.torch;

namespace DeepPcr.Recurrent;

/// <summary>What <see cref="RecurrentScan.Apply"/> returns: the outputs, differentiable, and what the solves did.</summary>
public sealed class RecurrentScanResult : IDisposable
{
    internal RecurrentScanResult()
    {
    }

    /// <summary>[T, B, H]: h_1..h_T.</summary>
    public Tensor Output { get; internal set; } = null!;

    /// <summary>[B, H]: h_T.</summary>
    public Tensor HN { get; internal set; } = null!;

    /// <summary>[B, H]: c_T for the cells with a cell state, else null.</summary>
    public Tensor? CN { get; internal set; }

    /// <summary>The forward solve: method, engine, iterations, termination, fallback.</summary>
    public ChainSolution Solution { get; internal set; } = null!;

    /// <summary>The backward pass (engine, method, rounds, fallback) once a backward pass has run through the outputs, else null.</summary>
    public AdjointSolution? Adjoint { get; internal set; }

    /// <summary>Disposes the output tensors.</summary>
    public void Dispose()
    {
        Output?.Dispose();
        HN?.Dispose();
        CN?.Dispose();
    }
}

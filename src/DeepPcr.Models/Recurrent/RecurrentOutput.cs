using DeepPcr.Backward;
using DeepPcr.Recurrent;
using DeepPcr.Solvers;
using static TorchSharp.torch;

namespace DeepPcr.Models.Recurrent;

/// <summary>One chain of a forward pass: a layer in one direction, and how its solves went.</summary>
/// <param name="Layer">The layer, from 0.</param>
/// <param name="Direction">0 forward along T, 1 along reversed T (bidirectional layers).</param>
/// <param name="Scan">The layer direction's scan, whose records the properties read (its tensors are not kept alive by this).</param>
public sealed record RecurrentChainReport(long Layer, int Direction, RecurrentScanResult Scan)
{
    /// <summary>The forward solve's record: method, engine, iterations, PCR rounds, termination, fallback.</summary>
    public ChainSolution Solution => Scan.Solution;

    /// <summary>The backward pass's record (engine, method, rounds, fallback) once <c>backward()</c> has run through this chain; else null.</summary>
    public AdjointSolution? Adjoint => Scan.Adjoint;

    /// <summary>"forward" or "reverse".</summary>
    public string DirectionName => Direction == 0 ? "forward" : "reverse";
}

/// <summary>What a stack of recurrent layers computed.</summary>
/// <param name="Output">The last layer's hidden states at every step: [T, B, D·H], or [B, T, D·H] batch first, or [T, D·H] unbatched.</param>
/// <param name="HN">Every chain's last hidden state: [layers·D, B, H] (PyTorch's order: layer-major, forward before reverse; [layers·D, H] unbatched).</param>
/// <param name="CN">Every chain's last cell state, for the LSTMs (same shape as <paramref name="HN"/>); null for the GRUs.</param>
/// <param name="Chains">One record per chain, in the order of <paramref name="HN"/>.</param>
public sealed record RecurrentOutput(Tensor Output, Tensor HN, Tensor? CN, IReadOnlyList<RecurrentChainReport> Chains);

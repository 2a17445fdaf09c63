using DeepPcr.Solvers;
using static TorchSharp.torch;

namespace DeepPcr.Distributed;

/// <summary>What one rank holds after a distributed forward solve: its segment's states and the run's record, which
/// is the same on every rank (the loop's decisions were reduced over all of them).</summary>
/// <param name="Partition">This rank's segment.</param>
/// <param name="Start">(B, w): the state before the segment, z_First (z_0 on rank 0).</param>
/// <param name="States">(n, B, w): z_{First+1}..z_{First+n}; n may be 0.</param>
/// <param name="Iterations">Newton iterations.</param>
/// <param name="ExchangeRounds">PCR rounds across ranks per linear solve: ceil(log2 P).</param>
/// <param name="ResidualNorms">max |f_l(z_{l-1}) - z_l| over the whole chain at each accepted iterate.</param>
/// <param name="ErrorEstimates">The stopping rule's estimate over the whole chain at each accepted iterate.</param>
/// <param name="Termination">Converged, iteration limit (safeguards off), or fell back (the states are then the
/// sequential relay's).</param>
/// <param name="Alarm">Why a safeguard fired, or why the run fell back, or null.</param>
/// <param name="Fallback">None, or Sequential when DeepPCR did not converge and the chain was solved rank after rank
/// (<see cref="SequentialRelay"/>).</param>
public sealed record DistributedSolution(
    ChainPartition Partition, Tensor Start, Tensor States, int Iterations, int ExchangeRounds,
    IReadOnlyList<double> ResidualNorms, IReadOnlyList<double> ErrorEstimates, Termination Termination, string? Alarm,
    Fallback Fallback = Fallback.None)
{
    /// <summary>True when DeepPCR converged and no safeguard fired.</summary>
    public bool Converged => Termination == Termination.Converged && Alarm is null;

    /// <summary>True when the states are the chain's answer: DeepPCR converged, or the sequential fallback produced them.</summary>
    public bool Solved => Converged || Fallback != Fallback.None;
}

/// <summary>What one rank holds after the distributed backward pass.</summary>
/// <param name="Lambda">(n, B, w): dLoss/dz of this segment's states.</param>
/// <param name="InputGradient">(B, w): dLoss/dz_0 on rank 0, null elsewhere.</param>
/// <param name="ParameterGradients">This segment's parameter gradients (each parameter's first dimension n), or empty
/// when the rank holds no steps or the step has no host parameter gradients.</param>
/// <param name="ExchangeRounds">PCR rounds across ranks (0 when the reversed chain was solved rank after rank).</param>
/// <param name="Fallback">None, or Sequential when PCR's solution was not finite.</param>
/// <param name="Finite">True when every lambda ended finite.</param>
/// <param name="StepInputGradients">(n, B, I): dLoss/dx of this segment's step inputs for a driven step
/// (<see cref="Chains.IHostDrivenChainStep"/>, e.g. the recurrent cells' input projections), else null.</param>
public sealed record DistributedGradients(
    Tensor Lambda, Tensor? InputGradient, IReadOnlyList<Tensor> ParameterGradients, int ExchangeRounds, Fallback Fallback, bool Finite,
    Tensor? StepInputGradients = null)
{
    /// <summary>Moves every tensor to the dispose scope outside the current one; returns this.</summary>
    public DistributedGradients MoveToOuterDisposeScope()
    {
        Lambda.MoveToOuterDisposeScope();
        InputGradient?.MoveToOuterDisposeScope();
        StepInputGradients?.MoveToOuterDisposeScope();
        foreach (var g in ParameterGradients) g.MoveToOuterDisposeScope();
        return this;
    }
}

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
/// <param name="Termination">Converged or iteration limit (a distributed run has no fallback: it reports).</param>
/// <param name="Alarm">Why a safeguard fired, or null.</param>
public sealed record DistributedSolution(
    ChainPartition Partition, Tensor Start, Tensor States, int Iterations, int ExchangeRounds,
    IReadOnlyList<double> ResidualNorms, IReadOnlyList<double> ErrorEstimates, Termination Termination, string? Alarm)
{
    /// <summary>True when the run converged and no safeguard fired.</summary>
    public bool Converged => Termination == Termination.Converged && Alarm is null;
}

/// <summary>What one rank holds after the distributed backward pass.</summary>
/// <param name="Lambda">(n, B, w): dLoss/dz of this segment's states.</param>
/// <param name="InputGradient">(B, w): dLoss/dz_0 on rank 0, null elsewhere.</param>
/// <param name="ParameterGradients">This segment's parameter gradients (each parameter's first dimension n), or empty
/// when the rank holds no steps or the step has no host parameter gradients.</param>
/// <param name="ExchangeRounds">PCR rounds across ranks (0 when the reversed chain was solved rank after rank).</param>
/// <param name="Fallback">None, or Sequential when PCR's solution was not finite.</param>
/// <param name="Finite">True when every lambda ended finite.</param>
public sealed record DistributedGradients(
    Tensor Lambda, Tensor? InputGradient, IReadOnlyList<Tensor> ParameterGradients, int ExchangeRounds, Fallback Fallback, bool Finite);

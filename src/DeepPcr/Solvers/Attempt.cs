using static TorchSharp.torch;

namespace DeepPcr.Solvers;

/// <summary>The outcome of one run of a parallel method over steps first..first+n-1.</summary>
/// <param name="States">(n, B, w), owned by the caller's dispose scope.</param>
/// <param name="Iterations">Updates made.</param>
/// <param name="PcrRounds">Rounds per linear solve.</param>
/// <param name="ResidualNorms">Per evaluated iterate.</param>
/// <param name="ErrorEstimates">Per evaluated iterate.</param>
/// <param name="Termination">Converged or iteration limit; never FellBack.</param>
/// <param name="Alarm">Why a safeguard fired, or null.</param>
/// <param name="FinalError">(B): the error estimate of the last state per sample, carried into the next window.</param>
internal sealed record Attempt(
    Tensor States, int Iterations, int PcrRounds, List<double> ResidualNorms, List<double> ErrorEstimates,
    Termination Termination, string? Alarm, double[] FinalError);

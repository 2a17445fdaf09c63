using DeepPcr.Newton;
using DeepPcr.Solvers;
using static TorchSharp.torch;

namespace DeepPcr.Engines;

/// <summary>A backend of the Newton loop on this library's side of the seam: it hands its states back as a tensor.</summary>
internal interface IChainBackend : INewtonBackend, IDisposable
{
    /// <summary>Which engine this backend is.</summary>
    ChainEngine Engine { get; }

    /// <summary>True when a linear solve ran as hybrid chunked PCR.</summary>
    bool Chunked { get; }

    /// <summary>
    /// After the loop stopped (converged or at its iteration limit, not after an alarm): the error estimate of the kept
    /// states over the chain so far, from the error carried in with the start state (null for the chain's own input),
    /// the rounding of each state and the run's own error; what it returns is carried into the next window.
    /// </summary>
    /// <param name="carried">The error of the start state, or null for an exact start.</param>
    CarriedError CarryError(CarriedError? carried);

    /// <summary>(n, B, w): the current (accepted) iterate, a new tensor owned by the caller's dispose scope.</summary>
    Tensor TakeStates();
}

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

    /// <summary>(n, B, w): the current (accepted) iterate, a new tensor owned by the caller's dispose scope.</summary>
    Tensor TakeStates();
}

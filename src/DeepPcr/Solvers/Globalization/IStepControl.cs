using DeepPcr.Linear;
using static TorchSharp.torch;

namespace DeepPcr.Solvers.Globalization;

/// <summary>What a step control sees when it proposes the next trial.</summary>
/// <param name="Current">The accepted iterate.</param>
/// <param name="Jacobians">(n, B, block): the exact Jacobians at the current inputs, in <paramref name="Structure"/>.</param>
/// <param name="Structure">The structure of the Jacobian blocks.</param>
/// <param name="Correction">(n, B, w): the undamped Newton correction d (d_l = A_l d_{l-1} + r_l, d_0 = 0) from the
/// bidiagonal PCR, cut to zero from each sample's first overflowing or runaway row (<see cref="NewtonCorrection.Cut"/>):
/// always finite.</param>
internal sealed record Proposal(Iterate Current, Tensor Jacobians, BlockStructure Structure, Tensor Correction);

/// <summary>
/// How a globalised Newton method turns the Newton correction into a trial and adapts to the outcome, per sample:
/// Levenberg–Marquardt damping or trust-region clipping. Holds the per-sample state (lambda, radius).
/// </summary>
internal interface IStepControl
{
    /// <summary>(n, B, w): the trial states, owned by the caller.</summary>
    Tensor Trial(Proposal proposal);

    /// <summary>
    /// Which samples accept their trial, given the merits ||r||^2 (B) of the current iterate and of the trial;
    /// adapts the control's state to the outcome.
    /// </summary>
    bool[] Judge(double[] merit, double[] trialMerit);
}

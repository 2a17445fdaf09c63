using DeepPcr.Linear;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Solvers.Globalization;

/// <summary>
/// The undamped Newton correction of an iterate and its finite prefix: what the globalised methods try first.
/// </summary>
internal static class NewtonCorrection
{
    /// <summary>
    /// (n, B, w): d = z_new - z for the Newton iterate z_new. Computed in the correction form d_l = A_l d_{l-1} + r_l,
    /// d_0 = 0 (rounding scales with d); where that overflows, from the DEER form z_new_l = A_l z_new_{l-1} +
    /// f_l(z_{l-1}) - A_l z_{l-1}, z_new_0 = z_0, which keeps every row before the first overflow exact.
    /// Non-finite where even the DEER form overflows.
    /// </summary>
    public static Tensor Of(BlockStructure structure, Tensor jacobians, Iterate iterate, Tensor start)
    {
        using var scope = torch.NewDisposeScope();
        var correction = ParallelCyclicReduction.SolveUnchecked(
            new LinearRecurrence(structure, jacobians, iterate.Residual, torch.zeros_like(start))).States;
        if (correction.isfinite().all().item<bool>()) return correction.MoveToOuterDisposeScope();
        var c = iterate.Outputs - structure.Apply(jacobians, iterate.Inputs);
        var deer = ParallelCyclicReduction.SolveUnchecked(new LinearRecurrence(structure, jacobians, c, start)).States;
        return (deer - iterate.States).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// (n, B, w): the correction up to each sample's first row that is not finite or whose new value exceeds
    /// <paramref name="bound"/> times the sample's scale s = max(1, max |z_0|, max_l |f_l(z_{l-1})|) (infinity
    /// applies no such bound), and zero from there on. The cut step keeps Newton's guarantee: the rows before the cut
    /// include the exact prefix z_1..z_k and the next row, whose new value f_{k+1}(z_k) is an output of the current
    /// iterate (so at most s); the exact prefix still grows by at least one row per step.
    /// </summary>
    /// <param name="correction">(n, B, w): the full Newton correction.</param>
    /// <param name="iterate">The current iterate.</param>
    /// <param name="start">(B, w): z_0.</param>
    /// <param name="bound">The largest new value allowed, in units of s; at least 1.</param>
    public static Tensor Cut(Tensor correction, Iterate iterate, Tensor start, double bound)
    {
        using var scope = torch.NewDisposeScope();
        var rowOk = correction.isfinite().all(-1);                                    // (n, B)
        if (double.IsFinite(bound))
        {
            var scale = torch.maximum(iterate.Outputs.abs().amax(new long[] { 0, 2 }), start.abs().amax(new long[] { -1 })).clamp_min(1.0);
            var size = (iterate.States + torch.nan_to_num(correction, 0.0)).abs().amax(new long[] { -1 });
            rowOk = rowOk.logical_and(size <= scale * bound);
        }
        var prefix = rowOk.to_type(ScalarType.Int32).cumprod(0).to_type(ScalarType.Bool).unsqueeze(-1);   // (n, B, 1)
        return torch.where(prefix, correction, torch.zeros_like(correction)).MoveToOuterDisposeScope();
    }
}

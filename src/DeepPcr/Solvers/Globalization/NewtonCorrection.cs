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
    /// (n, B, w): the correction up to each sample's first row holding a non-finite value, zero from there on.
    /// The truncated step keeps Newton's guarantee: rows before the first overflow include the exact prefix
    /// and the next exact row, so the exact prefix still grows by at least one row per step.
    /// </summary>
    public static Tensor FinitePrefix(Tensor correction)
    {
        using var scope = torch.NewDisposeScope();
        var finiteRows = correction.isfinite().all(-1).to_type(ScalarType.Int32);    // (n, B)
        var prefix = finiteRows.cumprod(0).to_type(ScalarType.Bool).unsqueeze(-1);   // (n, B, 1)
        return torch.where(prefix, correction, torch.zeros_like(correction)).MoveToOuterDisposeScope();
    }
}

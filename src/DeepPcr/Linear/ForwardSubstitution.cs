using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Linear;

/// <summary>
/// Solves z_l = A_l z_{l-1} + c_l row by row: L dependent block-vector products. The reference that
/// PCR is tested against, and the sequential inner solve of chunked methods.
/// </summary>
public static class ForwardSubstitution
{
    /// <summary>Solves the recurrence after checking shapes, dtypes and that every value is finite.</summary>
    /// <param name="recurrence">A (L, B, block), c (L, B, w), z_0 (B, w).</param>
    /// <returns>States (L, B, w); rounds 0.</returns>
    /// <exception cref="ArgumentException">A shape, dtype or device mismatch, L = 0, or a non-finite value.</exception>
    public static PcrSolution Solve(LinearRecurrence recurrence)
    {
        ArgumentNullException.ThrowIfNull(recurrence);
        recurrence.Validate(requireFinite: true);
        return SolveUnchecked(recurrence);
    }

    /// <summary>As <see cref="Solve"/> without the value checks: for the backward pass's fallback, whose blocks may overflow.</summary>
    internal static PcrSolution SolveUnchecked(LinearRecurrence recurrence)
    {
        using var scope = torch.NewDisposeScope();
        var states = torch.empty_like(recurrence.C);
        var z = recurrence.Z0;
        for (int l = 0; l < recurrence.Length; l++)
        {
            var a = recurrence.A.narrow(0, l, 1);
            z = (recurrence.C.narrow(0, l, 1) + recurrence.Structure.Apply(a, z.unsqueeze(0))).squeeze(0);
            states[l] = z;
        }
        return new PcrSolution(states.MoveToOuterDisposeScope(), 0);
    }
}

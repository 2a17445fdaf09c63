using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Linear;

/// <summary>
/// Parallel Cyclic Reduction for a block-tridiagonal system (<see cref="BlockTridiagonalSystem"/>), the linear
/// solve of a Levenberg–Marquardt step on a chain (whose matrix J^T J + lambda I is block-tridiagonal, which the
/// bidiagonal <see cref="ParallelCyclicReduction"/> cannot solve).
/// </summary>
/// <remarks>
/// Round s (s = 1, 2, 4, ... while s &lt; n) eliminates, for every row l at once and from the previous round's
/// values, its neighbours l - s and l + s: with alpha_l = -L_l D_{l-s}^{-1} and gamma_l = -U_l D_{l+s}^{-1},
/// <code>
///   L_l &lt;- alpha_l L_{l-s}        U_l &lt;- gamma_l U_{l+s}
///   D_l &lt;- D_l + alpha_l U_{l-s} + gamma_l L_{l+s}
///   y_l &lt;- y_l + alpha_l y_{l-s} + gamma_l y_{l+s}
/// </code>
/// Rows beyond the ends count as zero couplings. After ceil(log2 n) rounds no row couples to another and
/// x_l = D_l^{-1} y_l. Each round factors every D_l once and solves it for [L_l | U_l | y_l] (w x (2w + 1)),
/// then forms two w x w by w x (2w + 1) products per row: about 4 w x w solves/products per row, roughly
/// 13 w^3 flops, so O(n B w^3) per round and O(n log2 n B w^3) in all, with depth ceil(log2 n) rounds of
/// batched w x w LU solves. The bidiagonal PCR of a Newton step needs one w x w product (2 w^3 flops) per row and
/// round: a Levenberg–Marquardt step costs about 6 times a Newton step's solve, plus assembling J^T J.
/// Memory: about 4 n B w^2 numbers for the blocks and 2 n B w (2w + 1) for the eliminated terms.
/// There is no pivoting between rows: every D_l must stay nonsingular through the rounds, which holds for
/// block diagonally dominant systems and for symmetric positive definite ones (each reduced D_l is a diagonal
/// block of a Schur complement), the case of J^T J + lambda I.
/// </remarks>
public static class BlockTridiagonalPcr
{
    /// <summary>Solves the system after checking shapes, dtypes, devices and that every value is finite.</summary>
    /// <param name="system">Blocks (n, B, w, w) and right-hand side (n, B, w); float32 or float64, any device.</param>
    /// <returns>x (n, B, w) and the rounds run, ceil(log2 n).</returns>
    /// <exception cref="ArgumentException">A shape, dtype or device mismatch, an empty dimension, or a non-finite value.</exception>
    public static PcrSolution Solve(BlockTridiagonalSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        system.Validate(requireFinite: true);
        return SolveUnchecked(system);
    }

    /// <summary>Solves without checking values; shapes must already be valid. Singular blocks give NaN or infinity.</summary>
    internal static PcrSolution SolveUnchecked(BlockTridiagonalSystem system)
    {
        using var scope = torch.NewDisposeScope();
        long n = system.Length, width = system.Rhs.size(2);
        var lower = ZeroRow(system.Lower, 0);
        var upper = ZeroRow(system.Upper, n - 1);
        var diagonal = system.Diagonal;
        var rhs = system.Rhs.unsqueeze(-1);                                          // (n, B, w, 1)
        int rounds = 0;
        for (long s = 1; s < n; s *= 2)
        {
            // m_l = D_l^{-1} [L_l | U_l | y_l]: (n, B, w, 2w + 1), one factorisation per row.
            var m = torch.linalg.solve(diagonal, torch.cat(new[] { lower, upper, rhs }, -1));
            var fromAbove = torch.matmul(lower, Shift(m, s, down: true));             // L_l m_{l-s}
            var fromBelow = torch.matmul(upper, Shift(m, s, down: false));            // U_l m_{l+s}
            diagonal = diagonal - fromAbove.narrow(-1, width, width) - fromBelow.narrow(-1, 0, width);
            rhs = rhs - fromAbove.narrow(-1, 2 * width, 1) - fromBelow.narrow(-1, 2 * width, 1);
            lower = -fromAbove.narrow(-1, 0, width);
            upper = -fromBelow.narrow(-1, width, width);
            rounds++;
        }
        var x = torch.linalg.solve(diagonal, rhs).squeeze(-1);
        return new PcrSolution(x.MoveToOuterDisposeScope(), rounds);
    }

    /// <summary>
    /// (n, ...): row l holds row l - s of <paramref name="m"/> (down) or row l + s (up), zero where that row does
    /// not exist: the neighbour beyond an end contributes nothing.
    /// </summary>
    private static Tensor Shift(Tensor m, long s, bool down)
    {
        long n = m.size(0);
        var shape = m.shape.ToArray();
        shape[0] = Math.Min(s, n);
        var zeros = torch.zeros(shape, dtype: m.dtype, device: m.device);
        if (s >= n) return zeros;
        return down
            ? torch.cat(new[] { zeros, m.narrow(0, 0, n - s) }, 0)
            : torch.cat(new[] { m.narrow(0, s, n - s), zeros }, 0);
    }

    /// <summary>A copy of the blocks with one row set to zero (the unused coupling beyond an end).</summary>
    private static Tensor ZeroRow(Tensor blocks, long row)
    {
        var copy = blocks.clone();
        copy[row] = torch.zeros_like(blocks[row]);
        return copy;
    }
}

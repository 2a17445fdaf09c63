using DeepPcr.Validation;
using static TorchSharp.torch;

namespace DeepPcr.Linear;

/// <summary>
/// The block-tridiagonal system L_l x_{l-1} + D_l x_l + U_l x_{l+1} = y_l, l = 0..n-1 (0-based rows), batched over
/// B samples, every block w x w. Row 0 of <see cref="Lower"/> and row n - 1 of <see cref="Upper"/> couple to rows
/// that do not exist and are ignored (their values are never read).
/// </summary>
/// <param name="Lower">(n, B, w, w): L_l, the coupling of row l to x_{l-1}; row 0 unused.</param>
/// <param name="Diagonal">(n, B, w, w): D_l.</param>
/// <param name="Upper">(n, B, w, w): U_l, the coupling of row l to x_{l+1}; row n - 1 unused.</param>
/// <param name="Rhs">(n, B, w): y_l.</param>
public sealed record BlockTridiagonalSystem(Tensor Lower, Tensor Diagonal, Tensor Upper, Tensor Rhs)
{
    /// <summary>The number of block rows n.</summary>
    public int Length => (int)Rhs.size(0);

    /// <summary>
    /// Checks shapes, dtypes and devices, and optionally that every value is finite.
    /// Throws <see cref="ArgumentException"/> naming the argument and its shape.
    /// </summary>
    /// <param name="requireFinite">Also reject NaN and infinity in the blocks and the right-hand side.</param>
    public void Validate(bool requireFinite = true)
    {
        ArgumentNullException.ThrowIfNull(Lower);
        ArgumentNullException.ThrowIfNull(Diagonal);
        ArgumentNullException.ThrowIfNull(Upper);
        ArgumentNullException.ThrowIfNull(Rhs);
        TensorChecks.FloatingPoint(Rhs, "rhs");
        if (Rhs.dim() != 3)
        {
            throw new ArgumentException($"rhs must have shape (n, B, w) but has {TensorChecks.Format(Rhs.shape)}.", "rhs");
        }
        long length = Rhs.size(0), batch = Rhs.size(1), width = Rhs.size(2);
        if (length == 0 || batch == 0 || width == 0)
        {
            throw new ArgumentException($"rhs has an empty dimension: {TensorChecks.Format(Rhs.shape)}; n, B and w must be at least 1.", "rhs");
        }
        foreach (var (block, name) in new[] { (Lower, "lower"), (Diagonal, "diagonal"), (Upper, "upper") })
        {
            TensorChecks.Shape(block, name, length, batch, width, width);
            TensorChecks.SameKind(block, name, Rhs, "rhs");
            if (requireFinite) TensorChecks.Finite(block, name);
        }
        if (requireFinite) TensorChecks.Finite(Rhs, "rhs");
    }
}

using DeepPcr.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Linear;

/// <summary>
/// The linear recurrence z_l = A_l z_{l-1} + c_l, l = 1..L, with z_0 given, batched over B samples.
/// Row l - 1 of <see cref="A"/> and <see cref="C"/> holds A_l and c_l.
/// </summary>
/// <param name="Structure">How the blocks A are stored.</param>
/// <param name="A">(L, B, block): dense (L, B, w, w), diagonal (L, B, w), scalar (L, B, 1).</param>
/// <param name="C">(L, B, w).</param>
/// <param name="Z0">(B, w): the known initial state.</param>
public sealed record LinearRecurrence(BlockStructure Structure, Tensor A, Tensor C, Tensor Z0)
{
    /// <summary>The number of rows L.</summary>
    public int Length => (int)C.size(0);

    /// <summary>
    /// Checks shapes, dtypes and devices, and optionally that every value is finite.
    /// Throws <see cref="ArgumentException"/> naming the problem.
    /// </summary>
    /// <param name="requireFinite">Also reject NaN and infinity in A, c and z_0.</param>
    public void Validate(bool requireFinite = true)
    {
        ArgumentNullException.ThrowIfNull(Structure);
        ArgumentNullException.ThrowIfNull(A);
        ArgumentNullException.ThrowIfNull(C);
        ArgumentNullException.ThrowIfNull(Z0);
        TensorChecks.FloatingPoint(C, "c");
        if (C.dim() != 3)
        {
            throw new ArgumentException($"c must have shape (L, B, w) but has {TensorChecks.Format(C.shape)}.", "c");
        }
        long length = C.size(0), batch = C.size(1), width = C.size(2);
        if (length == 0)
        {
            throw new ArgumentException("The recurrence has L = 0 rows; at least one is needed.", "c");
        }
        if (batch == 0 || width == 0)
        {
            throw new ArgumentException($"c has an empty batch or width: {TensorChecks.Format(C.shape)}.", "c");
        }
        TensorChecks.Shape(Z0, "z0", batch, width);
        Structure.CheckShape(A, "A", length, batch, width);
        TensorChecks.SameKind(A, "A", C, "c");
        TensorChecks.SameKind(Z0, "z0", C, "c");
        if (requireFinite)
        {
            TensorChecks.Finite(A, "A");
            TensorChecks.Finite(C, "c");
            TensorChecks.Finite(Z0, "z0");
        }
    }
}

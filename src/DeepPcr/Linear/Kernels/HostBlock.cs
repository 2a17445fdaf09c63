using System.Numerics;
using System.Runtime.CompilerServices;
using DeepPcr.Chains;

namespace DeepPcr.Linear.Kernels;

/// <summary>
/// The declared structure of a block as the host kernels see it, so that they dispatch on what the step declared
/// instead of guessing from the number of stored entries (a 2 x 2 block of diagonals of width 2 stores 4 entries,
/// as a dense 2 x 2 block does).
/// </summary>
/// <param name="Kind">Dense, block-diagonal, diagonal or scalar.</param>
/// <param name="Width">w.</param>
/// <param name="Blocks">k for block-diagonal blocks (k x k blocks of diagonals of width w / k), else 1.</param>
internal readonly record struct HostBlock(JacobianStructure Kind, int Width, int Blocks = 1)
{
    /// <summary>Dense w x w blocks.</summary>
    public static HostBlock Dense(int width) => new(JacobianStructure.Dense, width);

    /// <summary>Stored entries per block: w^2, k^2 (w / k), w or 1.</summary>
    public int Size => Kind switch
    {
        JacobianStructure.Dense => Width * Width,
        JacobianStructure.BlockDiagonal => Blocks * Width,
        JacobianStructure.Diagonal => Width,
        _ => 1,
    };

    /// <summary>The width of each diagonal of a block-diagonal block, w / k.</summary>
    public int Part => Width / Blocks;

    /// <summary>Copies the block of row <paramref name="row"/> from the planar layout (entry e at planes[e * stride + row]).</summary>
    public unsafe void Gather<T>(T* planes, long stride, long row, T* target) where T : unmanaged
    {
        for (int e = 0; e < Size; e++) target[e] = planes[e * stride + row];
    }

    /// <summary>The entry of the transposed block that entry <paramref name="e"/> becomes: (i, j) -> (j, i) for dense
    /// blocks, [i, j, m] -> [j, i, m] for block-diagonal ones, itself for diagonal and scalar blocks.</summary>
    public int Transposed(int e) => Kind switch
    {
        JacobianStructure.Dense => e % Width * Width + e / Width,
        JacobianStructure.BlockDiagonal => (e / Part % Blocks * Blocks + e / Part / Blocks) * Part + e % Part,
        _ => e,
    };

    /// <summary>y += A x for one block (sums below <paramref name="normal"/> flushed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void ApplyAdd<T>(T* a, T* x, T* y, T normal) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (Kind)
        {
            case JacobianStructure.Dense: DenseBlockOps.ApplyAdd(a, x, y, Width, normal); break;
            case JacobianStructure.Diagonal: ElementwiseOps.MultiplyAdd(a, x, y, Width, normal); break;
            case JacobianStructure.Scalar: ElementwiseOps.ScaleAdd(a[0], x, y, Width, normal); break;
            default: BlockDiagonalApplyAdd(a, x, y, normal); break;
        }
    }

    /// <summary>target = outer · inner for one block (target distinct from both; entries below <paramref name="cutoff"/> flushed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Compose<T>(T* outer, T* inner, T* target, T cutoff) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (Kind)
        {
            case JacobianStructure.Dense when Width > 1: DenseBlockOps.Compose(outer, inner, target, Width, cutoff); break;
            case JacobianStructure.BlockDiagonal: BlockDiagonalCompose(outer, inner, target, cutoff); break;
            default: ElementwiseOps.Multiply(outer, inner, target, Size, cutoff); break;
        }
    }

    /// <summary>y[i h + m] += sum_j A[i, j, m] x[j h + m], with A stored (k, k, h).</summary>
    private unsafe void BlockDiagonalApplyAdd<T>(T* a, T* x, T* y, T normal) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = Blocks, h = Part;
        for (int i = 0; i < k; i++)
        {
            for (int j = 0; j < k; j++) ElementwiseOps.MultiplyAdd(a + (i * k + j) * h, x + j * h, y + i * h, h, normal);
        }
    }

    /// <summary>T[i, j, m] = sum_l O[i, l, m] I[l, j, m].</summary>
    private unsafe void BlockDiagonalCompose<T>(T* outer, T* inner, T* target, T cutoff) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = Blocks, h = Part;
        for (int i = 0; i < k; i++)
        {
            for (int j = 0; j < k; j++)
            {
                T* t = target + (i * k + j) * h;
                for (int m = 0; m < h; m++)
                {
                    T sum = T.Zero;
                    for (int l = 0; l < k; l++) sum += outer[(i * k + l) * h + m] * inner[(l * k + j) * h + m];
                    t[m] = ElementwiseOps.Flush(sum, cutoff);
                }
            }
        }
    }
}

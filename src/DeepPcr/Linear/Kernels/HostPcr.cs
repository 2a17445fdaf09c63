using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DeepPcr.Linear.Kernels;

/// <summary>
/// Dense PCR solves on host memory for the host solvers: blocks in the planar layout in which the host engine
/// assembles its Jacobians (entry e of row n at e * stride + n), right-hand sides row-major. Plain PCR copies them
/// into the tiled layout of <see cref="TiledPcrKernel"/> where the CPU has AVX-512 and w &lt;= <see cref="TiledMaxWidth"/>;
/// otherwise, and for chunked PCR, the blocks are re-laid out row-major for <see cref="CpuPcrKernel"/> or
/// <see cref="ChunkedPcrKernel"/>.
/// </summary>
internal static unsafe class HostPcr
{
    /// <summary>
    /// Solves z_l = A_l z_{l-1} + c_l for l = 1..n with dense planar blocks.
    /// </summary>
    /// <param name="length">n.</param>
    /// <param name="batch">B.</param>
    /// <param name="width">w.</param>
    /// <param name="a">w^2 planes of n B values (plane stride <paramref name="stride"/>), read only.</param>
    /// <param name="stride">The plane stride.</param>
    /// <param name="c">(n, B, w) row-major; overwritten with the solution.</param>
    /// <param name="z0">(B, w) row-major.</param>
    /// <param name="planes">Scratch of at least <see cref="ScratchFor"/> values, 64-byte aligned.</param>
    /// <param name="chunk">0 for plain PCR, else the rows per chunk of <see cref="ChunkedPcrKernel"/>.</param>
    /// <returns>The rounds run.</returns>
    public static int SolveDense<T>(int length, int batch, int width, T* a, long stride, T* c, T* z0, T* planes, int chunk = 0)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Solve(length, batch, HostBlock.Dense(width), a, stride, c, z0, planes, chunk);

    /// <summary>
    /// As <see cref="SolveDense{T}"/> for blocks of any declared structure: entry e of the block of row n (its
    /// <see cref="HostBlock.Size"/> entries in the structure's order) at a[e * stride + n]. Dense blocks take the tiled
    /// kernel where it applies; the others are re-laid out row-major for the row-major or chunked kernel.
    /// </summary>
    public static int Solve<T>(int length, int batch, HostBlock block, T* a, long stride, T* c, T* z0, T* planes, int chunk = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long rows = (long)length * batch;
        int width = block.Width, size = block.Size;
        if (block.Kind == Chains.JacobianStructure.Dense && TiledPcrKernel.IsSupported && chunk == 0 && width <= TiledMaxWidth)
        {
            TiledLayout.FromPlanes(a, stride, planes, rows, size);
            return TiledPcrKernel.SolveRowStates(length, batch, width, planes, c, z0, planes + TiledPcrKernel.Size<T>(rows, size));
        }
        T* rowMajor = (T*)NativeMemory.Alloc((nuint)(rows * size), (nuint)sizeof(T));
        try
        {
            for (long r = 0; r < rows; r++)
            {
                for (int e = 0; e < size; e++) rowMajor[r * size + e] = a[e * stride + r];
            }
            return chunk > 0
                ? ChunkedPcrKernel.Solve(length, batch, width, block, chunk, rowMajor, c, z0)
                : CpuPcrKernel.Solve(length, batch, width, block, rowMajor, c, z0);
        }
        finally
        {
            NativeMemory.Free(rowMajor);
        }
    }

    /// <summary>
    /// The widest blocks solved in the tiled layout: `deeppcr bench kernels` timed whole solves at L = 1024, B = 1
    /// faster than the row-major kernel's at every width up to 64 (about 2x at w = 4 to 16, 1.1-1.4x at 32 and 64;
    /// docs/results/kernels); wider tiles (64 KiB and more) no longer fit the L1 cache while a product is formed, and
    /// were not measured.
    /// </summary>
    public const int TiledMaxWidth = 64;

    /// <summary>The scratch <see cref="SolveDense{T}"/> needs, in values (for at most <paramref name="stride"/> rows).</summary>
    public static long ScratchFor<T>(int width, long stride) where T : unmanaged =>
        TiledPcrKernel.Size<T>(stride, width * width) + TiledPcrKernel.RowStatesScratchFor<T>(stride, width);

    /// <summary>
    /// The plane stride of N rows: N rounded up to whole vectors, plus one vector, so that the w^2 planes of a block
    /// buffer do not all start on the same cache sets.
    /// </summary>
    public static long StrideFor<T>(long rows) where T : unmanaged => (rows + 2 * Vector512<T>.Count - 1) / Vector512<T>.Count * Vector512<T>.Count + Vector512<T>.Count;
}

using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DeepPcr.Linear.Kernels;

/// <summary>
/// Dense PCR solves on host memory for the host solvers: blocks in the planar layout of
/// <see cref="PlanarPcrKernel"/>, right-hand sides row-major. Plain PCR uses the planar kernel where the CPU has
/// Vector512; otherwise, and for chunked PCR, the blocks are re-laid out row-major for <see cref="CpuPcrKernel"/> or
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
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long rows = (long)length * batch;
        if (TiledPcrKernel.IsSupported && chunk == 0 && width <= TiledMaxWidth)
        {
            T* tiledA = planes, tiledC = tiledA + TiledPcrKernel.Size<T>(rows, width * width);
            ToTiled(a, stride, tiledA, rows, width * width);
            RowsToTiled(c, tiledC, rows, width);
            int rounds = TiledPcrKernel.Solve(length, batch, width, tiledA, tiledC, z0, tiledC + TiledPcrKernel.Size<T>(rows, width));
            TiledToRows(tiledC, c, rows, width);
            return rounds;
        }
        if (PlanarPcrKernel.IsSupported && chunk == 0 && width <= PlanarMaxWidth)
        {
            ToPlanar(c, planes, rows, width, stride);
            int rounds = PlanarPcrKernel.Solve(length, batch, width, width * width, a, planes, z0, stride, planes + width * stride);
            FromPlanar(planes, c, rows, width, stride);
            return rounds;
        }
        int block = width * width;
        T* rowMajor = (T*)NativeMemory.Alloc((nuint)(rows * block), (nuint)sizeof(T));
        try
        {
            for (long r = 0; r < rows; r++)
            {
                for (int e = 0; e < block; e++) rowMajor[r * block + e] = a[e * stride + r];
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
    /// The widest blocks solved in the planar layout: its w^2 planes are w^2 memory streams, which the prefetchers
    /// stop following well beyond 64 (`deeppcr mlp --layers 64 --width 64 --batch 64`: a planar forward took 6.9 s, the row-major
    /// kernel's 4 s), while row-major blocks are contiguous.
    /// </summary>
    public const int PlanarMaxWidth = 8;

    /// <summary>
    /// The widest blocks solved in the tiled layout of <see cref="TiledPcrKernel"/>: a tile of w^2 entries must stay
    /// in the L1 cache while its product is formed (8 x 8 float32 blocks: 4 KiB a tile).
    /// </summary>
    public const int TiledMaxWidth = 8;

    /// <summary>The scratch <see cref="SolveDense{T}"/> needs, in values (for at most <paramref name="stride"/> rows).</summary>
    public static long ScratchFor<T>(int width, long stride) where T : unmanaged =>
        Math.Max(
            width * stride + PlanarPcrKernel.ScratchFor(width, width * width, stride),
            TiledPcrKernel.Size<T>(stride, width * width) + TiledPcrKernel.Size<T>(stride, width) + TiledPcrKernel.ScratchFor<T>(stride, width));

    /// <summary>w^2 planes (plane stride <paramref name="stride"/>) to the tiled layout, padding rows zero.</summary>
    private static void ToTiled<T>(T* planes, long stride, T* tiled, long rows, int entries) where T : unmanaged
    {
        int lanes = TiledPcrKernel.Lanes<T>();
        long tiles = TiledPcrKernel.Tiles<T>(rows), whole = rows / lanes;
        for (long t = 0; t < whole; t++)
        {
            T* tile = tiled + t * entries * lanes;
            for (int e = 0; e < entries; e++) Vector512.Load(planes + e * stride + t * lanes).Store(tile + e * lanes);
        }
        for (long t = whole; t < tiles; t++)
        {
            T* tile = tiled + t * entries * lanes;
            for (int e = 0; e < entries; e++)
            {
                for (int lane = 0; lane < lanes; lane++)
                {
                    long n = t * lanes + lane;
                    tile[e * lanes + lane] = n < rows ? planes[e * stride + n] : default;
                }
            }
        }
    }

    /// <summary>(rows, w) row-major to the tiled layout, padding rows zero.</summary>
    private static void RowsToTiled<T>(T* rowMajor, T* tiled, long rows, int width) where T : unmanaged
    {
        int lanes = TiledPcrKernel.Lanes<T>();
        for (long n = rows; n < TiledPcrKernel.Tiles<T>(rows) * lanes; n++)
        {
            for (int i = 0; i < width; i++) tiled[TiledPcrKernel.Index<T>(n, i, width)] = default;
        }
        for (long n = 0; n < rows; n++)
        {
            T* tile = tiled + n / lanes * width * lanes + n % lanes;
            for (int i = 0; i < width; i++) tile[i * lanes] = rowMajor[n * width + i];
        }
    }

    /// <summary>The tiled layout back to (rows, w) row-major.</summary>
    private static void TiledToRows<T>(T* tiled, T* rowMajor, long rows, int width) where T : unmanaged
    {
        int lanes = TiledPcrKernel.Lanes<T>();
        for (long n = 0; n < rows; n++)
        {
            T* tile = tiled + n / lanes * width * lanes + n % lanes;
            for (int i = 0; i < width; i++) rowMajor[n * width + i] = tile[i * lanes];
        }
    }

    /// <summary>(rows, w) row-major to w planes.</summary>
    public static void ToPlanar<T>(T* rowMajor, T* planes, long rows, int width, long stride) where T : unmanaged
    {
        for (long r = 0; r < rows; r++)
        {
            for (int i = 0; i < width; i++) planes[i * stride + r] = rowMajor[r * width + i];
        }
    }

    /// <summary>w planes to (rows, w) row-major.</summary>
    public static void FromPlanar<T>(T* planes, T* rowMajor, long rows, int width, long stride) where T : unmanaged
    {
        for (long r = 0; r < rows; r++)
        {
            for (int i = 0; i < width; i++) rowMajor[r * width + i] = planes[i * stride + r];
        }
    }
}

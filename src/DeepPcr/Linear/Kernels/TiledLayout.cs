using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepPcr.Linear.Kernels;

/// <summary>
/// Copies into and out of the tiled layout of <see cref="TiledPcrKernel"/> (rows in tiles of one vector's lanes,
/// entry e of a tile's rows as one vector), from the row-major layout of tensors and from the planar layout in which
/// the host engine assembles its Jacobians. Padding rows of the last tile are set to zero.
/// </summary>
internal static unsafe class TiledLayout
{
    /// <summary>(rows, E) row-major to tiled: whole tiles by T x T block transposes, the rest entry by entry.</summary>
    public static void FromRows<T>(T* rowMajor, T* tiled, long rows, int entries) where T : unmanaged
    {
        int lanes = TiledPcrKernel.Lanes<T>();
        long padded = TiledPcrKernel.Tiles<T>(rows) * lanes, whole = WholeTiles<T>(rows);
        CopyWholeTiles(rowMajor, tiled, whole, entries, toTiled: true);
        for (long n = whole * lanes; n < rows; n++)
        {
            T* target = tiled + n / lanes * entries * lanes + n % lanes;
            T* source = rowMajor + n * entries;
            for (int e = 0; e < entries; e++) target[e * lanes] = source[e];
        }
        for (long n = rows; n < padded; n++)
        {
            T* target = tiled + n / lanes * entries * lanes + n % lanes;
            for (int e = 0; e < entries; e++) target[e * lanes] = default;
        }
    }

    /// <summary>Tiled back to (rows, E) row-major: whole tiles by T x T block transposes, the rest entry by entry.</summary>
    public static void ToRows<T>(T* tiled, T* rowMajor, long rows, int entries) where T : unmanaged
    {
        int lanes = TiledPcrKernel.Lanes<T>();
        long whole = WholeTiles<T>(rows);
        CopyWholeTiles(rowMajor, tiled, whole, entries, toTiled: false);
        for (long n = whole * lanes; n < rows; n++)
        {
            T* source = tiled + n / lanes * entries * lanes + n % lanes;
            T* target = rowMajor + n * entries;
            for (int e = 0; e < entries; e++) target[e] = source[e * lanes];
        }
    }

    /// <summary>The tiles that <see cref="CopyWholeTiles{T}"/> copies: every full tile where block transposes run, else none.</summary>
    private static long WholeTiles<T>(long rows) where T : unmanaged => Transposes<T>() ? rows / TiledPcrKernel.Lanes<T>() : 0;

    /// <summary>
    /// Copies the first <paramref name="whole"/> tiles between the row-major and the tiled layout, in the direction
    /// <paramref name="toTiled"/> says: entries in runs of T by block transposes, the last E mod T entry by entry.
    /// </summary>
    private static void CopyWholeTiles<T>(T* rowMajor, T* tiled, long whole, int entries, bool toTiled) where T : unmanaged
    {
        int lanes = TiledPcrKernel.Lanes<T>();
        int blocked = entries / lanes * lanes;
        var square = stackalloc Vector512<T>[Vector512<T>.Count];
        var swaps = stackalloc Vector512<T>[2 * Stages];
        SwapIndices(swaps);
        for (long t = 0; t < whole; t++)
        {
            T* tile = tiled + t * entries * lanes, rows = rowMajor + t * lanes * entries;
            for (int e = 0; e < blocked; e += lanes)
            {
                if (toTiled) CopyTransposed(rows + e, entries, tile + e * lanes, lanes, square, swaps);
                else CopyTransposed(tile + e * lanes, lanes, rows + e, entries, square, swaps);
            }
            for (int lane = 0; lane < lanes; lane++)
            {
                for (int e = blocked; e < entries; e++)
                {
                    if (toTiled) tile[e * lanes + lane] = rows[lane * entries + e];
                    else rows[lane * entries + e] = tile[e * lanes + lane];
                }
            }
        }
    }

    /// <summary>True when <see cref="Transpose{T}"/> runs for T: float32 and float64 with AVX-512.</summary>
    private static bool Transposes<T>() where T : unmanaged =>
        Avx512F.IsSupported && (typeof(T) == typeof(float) || typeof(T) == typeof(double));

    /// <summary>
    /// Writes the transpose of the T x T block whose rows start at <paramref name="source"/> + i
    /// <paramref name="sourceStride"/> to rows starting at <paramref name="target"/> + i <paramref name="targetStride"/>.
    /// </summary>
    private static void CopyTransposed<T>(T* source, long sourceStride, T* target, long targetStride, Vector512<T>* square, Vector512<T>* swaps)
        where T : unmanaged
    {
        int lanes = Vector512<T>.Count;
        for (int i = 0; i < lanes; i++) square[i] = Vector512.Load(source + i * sourceStride);
        Transpose(square, swaps);
        for (int i = 0; i < lanes; i++) square[i].Store(target + i * targetStride);
    }

    /// <summary>Swap stages of a transpose: log2 T (at most 4).</summary>
    private const int Stages = 4;

    /// <summary>
    /// Transposes the T x T matrix whose rows are <paramref name="rows"/>[0..T-1] in place: for b = 1, 2, 4, ... the
    /// b x b blocks above and below the diagonal of each 2b x 2b block swap places, one two-source permute per row
    /// and stage (4 stages of 16 permutes in float32, 3 of 8 in float64), with the indices of <see cref="SwapIndices{T}"/>.
    /// </summary>
    private static void Transpose<T>(Vector512<T>* rows, Vector512<T>* swaps) where T : unmanaged
    {
        int lanes = Vector512<T>.Count;
        for (int b = 1, stage = 0; b < lanes; b *= 2, stage++)
        {
            var upper = swaps[2 * stage];
            var lower = swaps[2 * stage + 1];
            for (int r = 0; r < lanes; r++)
            {
                if ((r & b) != 0) continue;
                var x = rows[r];
                var y = rows[r + b];
                rows[r] = Permute(x, upper, y);
                rows[r + b] = Permute(x, lower, y);
            }
        }
    }

    /// <summary>
    /// The permute indices of each swap stage b (index T + j picks lane j of the second source): row r (r &amp; b = 0)
    /// keeps its lanes j with j &amp; b = 0 and takes row r + b's lanes j - b in the others; row r + b takes row r's
    /// lanes j + b where j &amp; b = 0 and keeps its own in the others.
    /// </summary>
    private static void SwapIndices<T>(Vector512<T>* swaps) where T : unmanaged
    {
        int lanes = Vector512<T>.Count;
        Span<long> upper = stackalloc long[16], lower = stackalloc long[16];
        for (int b = 1, stage = 0; b < lanes; b *= 2, stage++)
        {
            for (int j = 0; j < lanes; j++)
            {
                bool low = (j & b) == 0;
                upper[j] = low ? j : lanes + j - b;
                lower[j] = low ? j + b : lanes + j;
            }
            swaps[2 * stage] = IndexVector<T>(upper);
            swaps[2 * stage + 1] = IndexVector<T>(lower);
        }
    }

    private static Vector512<T> IndexVector<T>(Span<long> index) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            Span<int> narrow = stackalloc int[16];
            for (int j = 0; j < 16; j++) narrow[j] = (int)index[j];
            return Vector512.Create<int>(narrow).As<int, T>();
        }
        return Vector512.Create<long>(index[..8]).As<long, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Permute<T>(Vector512<T> x, Vector512<T> index, Vector512<T> y) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return Avx512F.PermuteVar16x32x2(x.AsSingle(), index.AsInt32(), y.AsSingle()).As<float, T>();
        return Avx512F.PermuteVar8x64x2(x.AsDouble(), index.AsInt64(), y.AsDouble()).As<double, T>();
    }

    /// <summary>E planes (entry e of row n at e * stride + n, stride &gt;= rows) to tiled: one vector per entry and tile.</summary>
    public static void FromPlanes<T>(T* planes, long stride, T* tiled, long rows, int entries) where T : unmanaged
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
}

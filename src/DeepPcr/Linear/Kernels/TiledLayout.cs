using System.Runtime.Intrinsics;

namespace DeepPcr.Linear.Kernels;

/// <summary>
/// Copies into and out of the tiled layout of <see cref="TiledPcrKernel"/> (rows in tiles of one vector's lanes,
/// entry e of a tile's rows as one vector), from the row-major layout of tensors and from the planar layout in which
/// the host engine assembles its Jacobians. Padding rows of the last tile are set to zero.
/// </summary>
internal static unsafe class TiledLayout
{
    /// <summary>(rows, E) row-major to tiled.</summary>
    public static void FromRows<T>(T* rowMajor, T* tiled, long rows, int entries) where T : unmanaged
    {
        int lanes = TiledPcrKernel.Lanes<T>();
        long padded = TiledPcrKernel.Tiles<T>(rows) * lanes;
        for (long n = 0; n < rows; n++)
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

    /// <summary>Tiled back to (rows, E) row-major.</summary>
    public static void ToRows<T>(T* tiled, T* rowMajor, long rows, int entries) where T : unmanaged
    {
        int lanes = TiledPcrKernel.Lanes<T>();
        for (long n = 0; n < rows; n++)
        {
            T* source = tiled + n / lanes * entries * lanes + n % lanes;
            T* target = rowMajor + n * entries;
            for (int e = 0; e < entries; e++) target[e] = source[e * lanes];
        }
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

using System.Numerics;
using DeepPcr.Linear.Kernels;

namespace DeepPcr.Tests;

/// <summary>
/// The copies into and out of the tiled layout (block transposes for whole tiles and whole groups of T entries, entry
/// by entry for the rest) against the layout's index formula, on row counts around the tile size and entry counts
/// around the lane count. Exact: the copies move values without arithmetic.
/// </summary>
public class TiledLayoutTests
{
    public static TheoryData<int, int> Sizes()
    {
        var data = new TheoryData<int, int>();
        foreach (int rows in new[] { 1, 7, 8, 9, 15, 16, 17, 37, 100 })
        foreach (int entries in new[] { 1, 3, 8, 9, 16, 17, 64 })
            data.Add(rows, entries);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Sizes))]
    public void RowsRoundTripThroughTheTiledLayoutInFloat32(int rows, int entries) => CheckRoundTrip<float>(rows, entries);

    [SkippableTheory]
    [MemberData(nameof(Sizes))]
    public void RowsRoundTripThroughTheTiledLayoutInFloat64(int rows, int entries) => CheckRoundTrip<double>(rows, entries);

    private static unsafe void CheckRoundTrip<T>(int rows, int entries) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Skip.IfNot(TiledPcrKernel.IsSupported, "the tiled kernel needs AVX-512, which this CPU lacks");
        var source = new T[rows * entries];
        for (int i = 0; i < source.Length; i++) source[i] = T.CreateTruncating(i + 1);
        var tiled = new T[TiledPcrKernel.Size<T>(rows, entries)];
        Array.Fill(tiled, T.CreateTruncating(-1));
        var back = new T[rows * entries];
        fixed (T* s = source, t = tiled, r = back)
        {
            TiledLayout.FromRows(s, t, rows, entries);
            TiledLayout.ToRows(t, r, rows, entries);
        }
        long padded = TiledPcrKernel.Tiles<T>(rows) * TiledPcrKernel.Lanes<T>();
        for (long n = 0; n < padded; n++)
        {
            for (int e = 0; e < entries; e++)
            {
                T expected = n < rows ? source[n * entries + e] : T.Zero;
                Assert.Equal(expected, tiled[TiledPcrKernel.Index<T>(n, e, entries)]);
            }
        }
        Assert.Equal(source, back);
    }
}

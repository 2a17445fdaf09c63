using DeepPcr.Linear.Kernels;

namespace DeepPcr.Tests;

/// <summary>The vectorised finiteness scan: one NaN or infinity anywhere (every position of short arrays, the vector
/// tails, block boundaries of long ones) is found, in float32 and float64; finite values, huge ones included, pass.</summary>
public class HostFiniteTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(200)]
    public void EveryPositionOfShortArraysIsChecked(int length)
    {
        foreach (var bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            for (int at = 0; at < length; at++)
            {
                var values = Enumerable.Range(0, length).Select(i => (float)(i % 5) - 2f).ToArray();
                Assert.True(HostFinite.All<float>(values));
                values[at] = bad;
                Assert.False(HostFinite.All<float>(values), $"{bad} at {at} of {length} was missed");
                Assert.False(HostFinite.All<double>(values.Select(v => (double)v).ToArray()), $"{bad} at {at} of {length} (double) was missed");
            }
        }
    }

    [Theory]
    [InlineData(4095)]
    [InlineData(4096)]
    [InlineData(4097)]
    [InlineData(12287)]
    [InlineData(100_003)]
    public void LongArraysAreCheckedAcrossBlocks(int at)
    {
        var values = new double[100_004];
        Array.Fill(values, double.MaxValue);
        Assert.True(HostFinite.All<double>(values));
        values[at] = double.NaN;
        Assert.False(HostFinite.All<double>(values));
        var floats = new float[100_004];
        Array.Fill(floats, -float.MaxValue);
        Assert.True(HostFinite.All<float>(floats));
        floats[at] = float.PositiveInfinity;
        Assert.False(HostFinite.All<float>(floats));
    }
}

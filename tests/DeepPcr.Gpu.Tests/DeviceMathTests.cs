using DeepPcr.Gpu.Kernels;

namespace DeepPcr.Gpu.Tests;

/// <summary>The device's own tanh (plain arithmetic, the same on every backend) against Math.Tanh in float64.</summary>
public sealed class DeviceMathTests
{
    /// <summary>Within 4e-7 relative (a few float32 ulps) over [-12, 12] and tiny arguments; exactly +-1 far out; never NaN from a finite or infinite argument.</summary>
    [Fact]
    public void TanhIsAccurateAndBounded()
    {
        double worst = 0;
        for (int n = -1_200_000; n <= 1_200_000; n++)
        {
            float x = n * 1e-5f;
            worst = Math.Max(worst, Relative(DeviceMath.Tanh(x), Math.Tanh(x)));
        }
        for (double x = 1e-10; x < 12; x *= 1.001)
        {
            worst = Math.Max(worst, Relative(DeviceMath.Tanh((float)x), Math.Tanh((float)x)));
            worst = Math.Max(worst, Relative(DeviceMath.Tanh(-(float)x), Math.Tanh(-(float)x)));
        }
        Assert.InRange(worst, 0, 4e-7);
        Assert.Equal(1f, DeviceMath.Tanh(50f));
        Assert.Equal(-1f, DeviceMath.Tanh(-1e30f));
        Assert.Equal(1f, DeviceMath.Tanh(float.PositiveInfinity));
        Assert.True(float.IsNaN(DeviceMath.Tanh(float.NaN)));
        Assert.Equal(0f, DeviceMath.Tanh(0f));
    }

    [Fact]
    public void ReluKeepsNaN()
    {
        Assert.Equal(0f, DeviceMath.Relu(-2f));
        Assert.Equal(3f, DeviceMath.Relu(3f));
        Assert.True(float.IsNaN(DeviceMath.Relu(float.NaN)));
    }

    /// <summary>The ordered bits of non-negative floats order like the floats; NaN is above infinity.</summary>
    [Fact]
    public void OrderedBitsOrderLikeFloats()
    {
        float[] values = [0f, 1e-45f, 1e-38f, 1e-6f, 1f, 3e38f, float.PositiveInfinity];
        for (int i = 1; i < values.Length; i++) Assert.True(DeviceMath.OrderedBits(values[i]) > DeviceMath.OrderedBits(values[i - 1]));
        Assert.True(DeviceMath.OrderedBits(float.NaN) > DeviceMath.OrderedBits(float.PositiveInfinity));
        Assert.Equal(0, DeviceMath.OrderedBits(-0f));
    }

    private static double Relative(float actual, double expected) =>
        Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), 1e-30);
}

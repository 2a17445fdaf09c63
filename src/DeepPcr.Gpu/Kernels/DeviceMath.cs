using ILGPU.Algorithms;

namespace DeepPcr.Gpu.Kernels;

/// <summary>Scalar helpers shared by the kernels (inlined by ILGPU).</summary>
internal static class DeviceMath
{
    /// <summary>Entries of composed PCR blocks below this are set to zero (as CpuPcrKernel does in float32).</summary>
    public const float BlockCutoff = 1e-18f;

    /// <summary>The smallest normal float32: sums below it are flushed to zero (as CpuPcrKernel does).</summary>
    public const float SmallestNormal = 1.17549435e-38f;

    /// <summary>act(x): 0 tanh, 1 relu, else identity.</summary>
    public static float Activate(int activation, float x) =>
        activation == 0 ? XMath.Tanh(x) : activation == 1 ? XMath.Max(x, 0f) : x;

    /// <summary>act'(x) at the pre-activation x.</summary>
    public static float Derivative(int activation, float x)
    {
        if (activation == 0)
        {
            float t = XMath.Tanh(x);
            return 1f - t * t;
        }
        return activation == 1 ? (x > 0f ? 1f : 0f) : 1f;
    }

    /// <summary>act' from the layer's output y = act(x): 1 - y^2 (tanh), y &gt; 0 (relu), 1 (identity).</summary>
    public static float DerivativeFromOutput(int activation, float y) =>
        activation == 0 ? 1f - y * y : activation == 1 ? (y > 0f ? 1f : 0f) : 1f;

    /// <summary>0 where |x| is below <paramref name="limit"/>, else x (NaN passes through).</summary>
    public static float Flush(float x, float limit) => XMath.Abs(x) < limit ? 0f : x;

    /// <summary>
    /// The bits of a non-negative float as an int that orders like the float, with NaN mapped to
    /// int.MaxValue so that an int atomic max propagates it above every number, infinity included.
    /// </summary>
    public static int OrderedBits(float nonNegative) =>
        nonNegative > 0f ? (int)ILGPU.Interop.FloatAsInt(nonNegative) : nonNegative == 0f ? 0 : int.MaxValue;
}

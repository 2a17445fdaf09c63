using ILGPU.Algorithms;

namespace DeepPcr.Gpu.Kernels;

/// <summary>Scalar helpers shared by the kernels (inlined by ILGPU).</summary>
internal static class DeviceMath
{
    /// <summary>Entries of composed PCR blocks below this are set to zero, as CpuPcrKernel does: the smallest normal
    /// float32 (a larger cutoff zeroed tiny terms that matter, such as a deep chain's input gradient).</summary>
    public const float BlockCutoff = 1.17549435e-38f;

    /// <summary>The smallest normal float32: sums below it are flushed to zero (as CpuPcrKernel does).</summary>
    public const float SmallestNormal = 1.17549435e-38f;

    /// <summary>act(x): 0 tanh, 1 relu, else identity.</summary>
    public static float Activate(int activation, float x) =>
        activation == 0 ? Tanh(x) : activation == 1 ? Relu(x) : x;

    /// <summary>max(x, 0) that keeps NaN (PTX's max.f32 would return 0 for it).</summary>
    public static float Relu(float x) => x > 0f || XMath.IsNaN(x) ? x : 0f;

    /// <summary>act'(x) at the pre-activation x.</summary>
    public static float Derivative(int activation, float x)
    {
        if (activation == 0)
        {
            float t = Tanh(x);
            return 1f - t * t;
        }
        return activation == 1 ? (x > 0f ? 1f : 0f) : 1f;
    }

    /// <summary>
    /// tanh in float32 from multiplications, additions and one division only (a [13/6] rational approximation on
    /// |x| &lt; 9 clamped to +-7.9988, after Eigen's float tanh; exactly +-1 from 9 on), so that every backend computes the same few-ulp result.
    /// ILGPU.Algorithms' XMath.Tanh on PTX is (e^2x - 1) / (e^2x + 1): NaN for x above 44 (e^2x overflows), which a
    /// Newton iterate can reach, and it loses digits to cancellation near 0. NaN stays NaN; +-infinity gives +-1.
    /// </summary>
    public static float Tanh(float x)
    {
        if (XMath.IsNaN(x) || XMath.Abs(x) < 4e-4f) return x;   // NaN explicitly: PTX's min/max would turn it into a bound
        if (XMath.Abs(x) >= 9f) return x > 0f ? 1f : -1f;        // tanh(9) = 1 - 3e-8 rounds to 1 in float32
        float c = XMath.Min(XMath.Max(x, -7.99881172180175781f), 7.99881172180175781f);
        float x2 = c * c;
        float p = -2.76076847742355e-16f;
        p = p * x2 + 2.00018790482477e-13f;
        p = p * x2 - 8.60467152213735e-11f;
        p = p * x2 + 5.12229709037114e-08f;
        p = p * x2 + 1.48572235717979e-05f;
        p = p * x2 + 6.37261928875436e-04f;
        p = p * x2 + 4.89352455891786e-03f;
        float q = 1.19825839466702e-06f;
        q = q * x2 + 1.18534705686654e-04f;
        q = q * x2 + 2.26843463243900e-03f;
        q = q * x2 + 4.89352518554385e-03f;
        return c * p / q;
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

using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace DeepPcr.Models.Mlp;

/// <summary>The activations and their slopes on host numbers, for the fused loops and the host kernels.</summary>
public static class HostActivation
{
    /// <summary>act(x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Value<T>(Activation activation, T x) where T : IFloatingPointIeee754<T> => activation switch
    {
        Activation.Tanh => T.Tanh(x),
        Activation.Relu => x > T.Zero ? x : T.Zero,
        Activation.Sigmoid => T.One / (T.One + T.Exp(-x)),
        Activation.Gelu => T.CreateTruncating(0.5 * double.CreateTruncating(x) * (1 + Erf(double.CreateTruncating(x) / Math.Sqrt(2)))),
        _ => x,
    };

    /// <summary>act'(x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Slope<T>(Activation activation, T x) where T : IFloatingPointIeee754<T>
    {
        switch (activation)
        {
            case Activation.Tanh:
                T t = T.Tanh(x);
                return T.One - t * t;
            case Activation.Relu:
                return x > T.Zero ? T.One : T.Zero;
            case Activation.Sigmoid:
                T s = T.One / (T.One + T.Exp(-x));
                return s * (T.One - s);
            case Activation.Gelu:
                double d = double.CreateTruncating(x);
                return T.CreateTruncating(0.5 * (1 + Erf(d / Math.Sqrt(2))) + d * Math.Exp(-0.5 * d * d) / Math.Sqrt(2 * Math.PI));
            default:
                return T.One;
        }
    }

    /// <summary>
    /// x = act(x) over a span. float32 tanh and sigmoid use the vectorised System.Numerics.Tensors kernels
    /// (absolute error about 1e-7, float32's own rounding of values of order one, about 20x faster than the
    /// scalar loop); float64 stays on the scalar Math functions, whose error near 0 is relative. ReLU is the
    /// vectorised max(x, 0) in every dtype.
    /// </summary>
    public static void ApplyInPlace<T>(Activation activation, Span<T> x) where T : struct, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && activation is Activation.Tanh or Activation.Sigmoid)
        {
            var f = System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(x);
            if (activation == Activation.Tanh) TensorPrimitives.Tanh(f, f);
            else TensorPrimitives.Sigmoid(f, f);
            return;
        }
        if (activation == Activation.Identity) return;
        if (activation == Activation.Relu)
        {
            TensorPrimitives.Max(x, T.Zero, x); // exact in any dtype; NaN stays NaN, as in torch.relu
            return;
        }
        for (int i = 0; i < x.Length; i++) x[i] = Value(activation, x[i]);
    }

    /// <summary>
    /// act'(x) from the value act(x) alone, for every activation whose slope is a function of its value (tanh,
    /// sigmoid, relu, identity); false for GELU, whose slope needs the pre-activation.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TrySlopeFromValue<T>(Activation activation, T value, out T slope) where T : IFloatingPointIeee754<T>
    {
        switch (activation)
        {
            case Activation.Tanh: slope = T.One - value * value; return true;
            case Activation.Sigmoid: slope = value * (T.One - value); return true;
            case Activation.Relu: slope = value > T.Zero ? T.One : T.Zero; return true;
            case Activation.Identity: slope = T.One; return true;
            default: slope = T.Zero; return false;
        }
    }

    /// <summary>True when the host activation matches TorchSharp's to the dtype's precision: GELU's erf here is
    /// good to about 1.2e-7, enough for float32 only.</summary>
    public static bool ExactFor(Activation activation, bool float64) => !(float64 && activation == Activation.Gelu);

    /// <summary>erf with fractional error below 1.2e-7 (the Numerical Recipes erfc approximation).</summary>
    private static double Erf(double x)
    {
        double t = 1.0 / (1.0 + 0.5 * Math.Abs(x));
        double y = t * Math.Exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
                   t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - y : y - 1;
    }
}

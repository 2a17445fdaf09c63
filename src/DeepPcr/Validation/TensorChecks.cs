using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Validation;

/// <summary>Argument checks on tensors whose messages name the argument and the problem.</summary>
public static class TensorChecks
{
    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="tensor"/> has exactly the expected shape.</summary>
    public static void Shape(Tensor tensor, string name, params long[] expected)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        // dim() and size(i) are one native call each; the shape array costs about a microsecond (a callback allocates it).
        bool same = tensor.dim() == expected.Length;
        for (int i = 0; same && i < expected.Length; i++) same = tensor.size(i) == expected[i];
        if (!same)
        {
            throw new ArgumentException(
                $"{name} has shape {Format(tensor.shape)} but {Format(expected)} was expected.", name);
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="tensor"/> is floating point (float32 or float64).</summary>
    public static void FloatingPoint(Tensor tensor, string name)
    {
        if (tensor.dtype != ScalarType.Float32 && tensor.dtype != ScalarType.Float64)
        {
            throw new ArgumentException($"{name} has dtype {tensor.dtype}; float32 or float64 was expected.", name);
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless both tensors share dtype and device.</summary>
    public static void SameKind(Tensor tensor, string name, Tensor reference, string referenceName)
    {
        if (tensor.dtype != reference.dtype)
        {
            throw new ArgumentException(
                $"{name} has dtype {tensor.dtype} but {referenceName} has {reference.dtype}.", name);
        }
        if (tensor.device.ToString() != reference.device.ToString())
        {
            throw new ArgumentException(
                $"{name} is on {tensor.device} but {referenceName} is on {reference.device}.", name);
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> when <paramref name="tensor"/> holds a NaN or an infinity.</summary>
    public static void Finite(Tensor tensor, string name)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (AllFiniteOnHost(tensor) == true) return;
        using var scope = torch.NewDisposeScope();
        if (!tensor.isfinite().all().item<bool>())
        {
            long bad = tensor.isfinite().logical_not().sum().item<long>();
            throw new ArgumentException($"{name} holds {bad} non-finite value(s) (NaN or infinity).", name);
        }
    }

    /// <summary>
    /// For contiguous CPU float32/float64 tensors, whether every value is finite, read in place (three framework
    /// calls cost about 30 microseconds, a scan of a few thousand values well under one); null otherwise.
    /// </summary>
    private static bool? AllFiniteOnHost(Tensor tensor)
    {
        if (tensor.device_type != DeviceType.CPU || !tensor.is_contiguous()) return null;
        if (tensor.dtype == ScalarType.Float32) return Linear.Kernels.HostFinite.All<float>(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.bytes));
        if (tensor.dtype == ScalarType.Float64) return Linear.Kernels.HostFinite.All<double>(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(tensor.bytes));
        return null;
    }

    /// <summary>Formats a shape as (a, b, c).</summary>
    public static string Format(IEnumerable<long> shape) => "(" + string.Join(", ", shape) + ")";
}

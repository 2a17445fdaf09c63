using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Linear.Kernels;

/// <summary>Copies between CPU tensors and host arrays for the host solvers (the tensor's dtype must match T).</summary>
internal static class HostTensors
{
    /// <summary>Copies a CPU tensor's values (made contiguous, detached) into <paramref name="target"/>.</summary>
    public static void CopyTo<T>(Tensor source, Span<T> target) where T : unmanaged
    {
        using var contiguous = source.detach().contiguous();
        MemoryMarshal.Cast<byte, T>(contiguous.bytes).CopyTo(target);
    }

    /// <summary>A new CPU tensor of the given shape and dtype holding <paramref name="values"/>.</summary>
    public static Tensor From<T>(ReadOnlySpan<T> values, long[] shape, ScalarType dtype) where T : unmanaged
    {
        var tensor = torch.empty(shape, dtype: dtype);
        values.CopyTo(MemoryMarshal.Cast<byte, T>(tensor.bytes));
        return tensor;
    }
}

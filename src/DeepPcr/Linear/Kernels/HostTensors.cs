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

    /// <summary>z_0..z_n in one host array, (n + 1, B, w): the start (B, w) followed by the states (n, B, w).</summary>
    public static T[] Chain<T>(Tensor start, Tensor states) where T : unmanaged
    {
        int rowSize = (int)start.NumberOfElements;
        var chain = new T[rowSize + states.NumberOfElements];
        CopyTo(start, chain.AsSpan(0, rowSize));
        CopyTo(states, chain.AsSpan(rowSize));
        return chain;
    }
}

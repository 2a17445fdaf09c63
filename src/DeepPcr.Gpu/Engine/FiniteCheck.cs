using DeepPcr.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace DeepPcr.Gpu.Engine;

/// <summary>
/// <see cref="DeepPcr.Newton.IAdjointBackend.Finite"/> on the device: one launch of <see cref="NewtonKernels.NotFinite"/> over the
/// state gradients and one int read back. The core's <see cref="DeepPcr.Newton.AdjointPass"/> decides its fallback on
/// the host, so this readback is the one host synchronisation a backward pass adds for it.
/// </summary>
internal static class FiniteCheck
{
    /// <summary>True when every value is finite.</summary>
    /// <param name="device">The device.</param>
    /// <param name="values">The values (the solve's lambda).</param>
    /// <param name="flags">A flags buffer of <see cref="NewtonKernels.FlagCount"/> ints (its <see cref="NewtonKernels.NotFiniteSlot"/> is used).</param>
    public static bool AllFinite(GpuDevice device, ArrayView<float> values, ArrayView<int> flags)
    {
        var stream = device.Stream;
        var slot = flags.SubView(NewtonKernels.NotFiniteSlot, 1);
        slot.MemSetToZero(stream);
        device.Kernels.NotFinite(stream, (int)values.Length, values, flags, NewtonKernels.NotFiniteSlot);
        var flag = new int[1];
        slot.CopyToCPU(stream, flag);
        stream.Synchronize();
        return flag[0] == 0;
    }
}

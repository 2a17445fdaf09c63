using DeepPcr.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace DeepPcr.Gpu.Engine;

/// <summary>
/// Group and grid sizes of the explicitly grouped kernels for one accelerator. Groups are capped by the
/// accelerator's limit (16 threads on ILGPU's CPU emulator, 1024 on CUDA), so every kernel strides over its work.
/// </summary>
public static class LaunchShapes
{
    /// <summary>The reduction's group (a power of two up to 256) and grid (enough groups to fill the device, at most one per group's worth of values).</summary>
    /// <param name="accelerator">The accelerator.</param>
    /// <param name="count">The values reduced.</param>
    /// <returns>The launch configuration.</returns>
    public static KernelConfig Reduction(Accelerator accelerator, int count)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        int group = 1;
        while (group * 2 <= Math.Min(NewtonKernels.MaxGroupSize, accelerator.MaxNumThreadsPerGroup)) group *= 2;
        int groups = Math.Clamp((count + group - 1) / group, 1, Math.Max(1, accelerator.NumMultiprocessors * 4));
        return new KernelConfig(new Index1D(groups), new Index1D(group));
    }

    /// <summary>The tiled PCR round: one group per (r, b), threads up to w^2 (a warp multiple, at most 256), 2 w^2 + w floats of shared memory.</summary>
    /// <param name="accelerator">The accelerator.</param>
    /// <param name="d">The sizes.</param>
    /// <returns>The launch configuration.</returns>
    public static KernelConfig TiledRound(Accelerator accelerator, ChainDims d)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        int group = GroupFor(accelerator, d.Width * d.Width, 256);
        var shared = SharedMemoryConfig.RequestDynamic<float>(2 * d.Width * d.Width + d.Width);
        return new KernelConfig(new Index1D(d.Layers * d.Batch), new Index1D(group), shared);
    }

    /// <summary>The persistent baselines: one group per sample, threads up to w (a warp multiple).</summary>
    /// <param name="accelerator">The accelerator.</param>
    /// <param name="d">The sizes.</param>
    /// <returns>The launch configuration.</returns>
    public static KernelConfig Persistent(Accelerator accelerator, ChainDims d)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        return new KernelConfig(new Index1D(d.Batch), new Index1D(GroupFor(accelerator, d.Width, SequentialKernels.MaxWidth)));
    }

    /// <summary>
    /// The one-group kernels: a single group, the largest power of two up to 1024 that the accelerator allows
    /// and that can be resident with this kernel's registers (asked of the occupancy calculator: a long kernel
    /// may need more than the 64 registers a thread has in a group of 1024, and would then fail to launch).
    /// </summary>
    /// <param name="accelerator">The accelerator.</param>
    /// <param name="kernel">The compiled kernel (from <see cref="ILGPU.Runtime.KernelUtil.GetKernel{TDelegate}(TDelegate)"/>).</param>
    /// <returns>The launch configuration.</returns>
    public static KernelConfig OneGroup(Accelerator accelerator, Kernel kernel)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(kernel);
        int group = 1;
        while (group * 2 <= Math.Min(OneGroupKernels.MaxGroupSize, accelerator.MaxNumThreadsPerGroup)) group *= 2;
        while (group > 32 && !Fits(accelerator, kernel, group)) group /= 2;
        return new KernelConfig(new Index1D(1), new Index1D(group));
    }

    private static bool Fits(Accelerator accelerator, Kernel kernel, int group)
    {
        try
        {
            return accelerator.EstimateMaxActiveGroupsPerMultiprocessor(kernel, group, 0) >= 1;
        }
        catch (Exception e) when (e is NotSupportedException or ArgumentException or InvalidOperationException)
        {
            return group <= 256;   // no estimate: a size every kernel here launches with
        }
    }

    private static int GroupFor(Accelerator accelerator, int work, int cap)
    {
        int warp = Math.Max(1, accelerator.WarpSize);
        int group = (Math.Min(work, cap) + warp - 1) / warp * warp;
        return Math.Max(1, Math.Min(group, accelerator.MaxNumThreadsPerGroup));
    }
}

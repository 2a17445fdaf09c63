using DeepPcr.GpuCheck;

namespace DeepPcr.GpuCheck.Tests;

/// <summary>Kernel options small enough for the CPU accelerator (an emulator) to finish in well under a second.</summary>
internal static class TinySizes
{
    public static KernelOptions Kernel { get; } = new()
    {
        CpuElements = 1024,
        CpuCopyBytes = 1 << 20,
        CudaElements = 1 << 12,
        CudaCopyBytes = 1 << 20,
        Repetitions = 3,
    };
}

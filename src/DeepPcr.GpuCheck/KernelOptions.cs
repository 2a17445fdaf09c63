namespace DeepPcr.GpuCheck;

/// <summary>Which accelerator the kernel stage runs on.</summary>
public enum AcceleratorChoice
{
    /// <summary>The first CUDA device if one is listed, else the CPU accelerator.</summary>
    Auto,

    /// <summary>The CPU accelerator (ILGPU's emulator), even when a CUDA device is listed.</summary>
    Cpu,

    /// <summary>The first CUDA device; the stage fails when none is listed.</summary>
    Cuda,
}

/// <summary>Sizes and repetitions of the kernel stage.</summary>
public sealed record KernelOptions
{
    /// <summary>Elements of the kernel's arrays on a CUDA device (default 1 &lt;&lt; 20).</summary>
    public int CudaElements { get; init; } = 1 << 20;

    /// <summary>Elements on the CPU accelerator, an emulator (default 1 &lt;&lt; 12).</summary>
    public int CpuElements { get; init; } = 1 << 12;

    /// <summary>Bytes of the device-to-device copy on a CUDA device (default 64 MiB).</summary>
    public long CudaCopyBytes { get; init; } = 64L << 20;

    /// <summary>Bytes of the copy on the CPU accelerator (default 16 MiB).</summary>
    public long CpuCopyBytes { get; init; } = 16L << 20;

    /// <summary>Timed launches and copies, each followed by a synchronise (default 20).</summary>
    public int Repetitions { get; init; } = 20;

    /// <summary>Which accelerator to use (default <see cref="AcceleratorChoice.Auto"/>).</summary>
    public AcceleratorChoice Accelerator { get; init; } = AcceleratorChoice.Auto;
}

using DeepPcr.Gpu.Engine;

namespace DeepPcr.Gpu.Tests;

/// <summary>One CPU accelerator with its kernels compiled once, shared by every test class (kernels take ~0.2 s each to compile).</summary>
public sealed class CpuDeviceFixture : IDisposable
{
    /// <summary>Opens the CPU accelerator and compiles the kernels.</summary>
    public CpuDeviceFixture()
    {
        Device = GpuDevice.Open(AcceleratorKind.Cpu);
        _ = Device.Kernels;
    }

    /// <summary>The device.</summary>
    public GpuDevice Device { get; }

    /// <inheritdoc />
    public void Dispose() => Device.Dispose();
}

/// <summary>The collection every device test belongs to (they run one after another on the one device).</summary>
[CollectionDefinition(Name)]
public sealed class CpuDeviceCollection : ICollectionFixture<CpuDeviceFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "cpu-accelerator";
}

using DeepPcr.Gpu.Engine;
using DeepPcr.Gpu.Model;

namespace DeepPcr.Gpu.Tests;

/// <summary>Device-side checks: a problem that does not fit the model, and a CUDA request on a machine without one.</summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class DeviceValidationTests(CpuDeviceFixture fixture)
{
    [Fact]
    public void WidthMismatchIsRefused()
    {
        var model = MlpModel.Random(2, 3, 1.0, 1);
        var problem = ChainProblem.Random(1, 4, 1);
        var error = Assert.Throws<ArgumentException>(() => new ChainWorkspace(fixture.Device, model, problem));
        Assert.Contains("width 4", error.Message);
    }

    /// <summary>Without an NVIDIA driver there is no CUDA device; the message says so (on a GPU machine this test is skipped by its own condition).</summary>
    [Fact]
    public void CudaWithoutDriverSaysSo()
    {
        if (File.Exists("/dev/nvidiactl")) return;
        var error = Assert.Throws<InvalidOperationException>(() => GpuDevice.Open(AcceleratorKind.Cuda));
        Assert.Contains("No Cuda accelerator is listed", error.Message);
    }

    /// <summary>The one-group kernels get the largest group the accelerator allows (16 threads on the CPU emulator).</summary>
    [Fact]
    public void OneGroupShapesUseTheLargestGroup()
    {
        int max = fixture.Device.Accelerator.MaxNumThreadsPerGroup;
        Assert.Equal(max, fixture.Device.Kernels.OneGroupNewtonShape.GroupDim.X);
        Assert.Equal(max, fixture.Device.Kernels.OneGroupBackwardShape.GroupDim.X);
        Assert.Equal(1, fixture.Device.Kernels.OneGroupNewtonShape.GridDim.X);
    }

    [Fact]
    public void DescribesTheAccelerator() => Assert.StartsWith("CPU '", fixture.Device.Describe());
}

using ILGPU;
using ILGPU.Runtime;

namespace DeepPcr.Gpu.Engine;

/// <summary>The buffers a workspace owns on one device: allocation, upload, read-back, and disposal of them all at once.</summary>
/// <param name="device">The device.</param>
internal sealed class DeviceBuffers(GpuDevice device) : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    /// <summary>A new zero-length-safe buffer of at least one element, owned here.</summary>
    /// <param name="length">Elements.</param>
    public MemoryBuffer1D<T, Stride1D.Dense> Allocate<T>(long length) where T : unmanaged
    {
        var buffer = device.Accelerator.Allocate1D<T>(Math.Max(length, 1));
        _owned.Add(buffer);
        return buffer;
    }

    /// <summary>A new buffer holding the values (the copy is waited for).</summary>
    /// <param name="values">The values.</param>
    public MemoryBuffer1D<float, Stride1D.Dense> Upload(float[] values)
    {
        var buffer = Allocate<float>(values.Length);
        buffer.View.CopyFromCPU(device.Stream, values);
        device.Synchronize();
        return buffer;
    }

    /// <summary>Waits for the stream, then copies a device view to a new float64 array.</summary>
    /// <param name="view">The view.</param>
    public double[] Read(ArrayView<float> view)
    {
        device.Synchronize();
        var values = new float[view.Length];
        view.CopyToCPU(device.Stream, values);
        device.Synchronize();
        return Array.ConvertAll(values, v => (double)v);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var buffer in _owned) buffer.Dispose();
        _owned.Clear();
    }
}

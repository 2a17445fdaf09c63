using System.Text.Json.Nodes;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace DeepPcr.GpuCheck;

/// <summary>Turns ILGPU devices into JSON.</summary>
public static class DeviceListing
{
    /// <summary>Lists every device of <paramref name="context"/>.</summary>
    /// <param name="context">An ILGPU context.</param>
    /// <returns><c>"devices"</c> (one object each) and <c>"cuda_devices"</c> (their count).</returns>
    public static JsonObject List(Context context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var devices = new JsonArray();
        int cuda = 0;
        foreach (var device in context.Devices)
        {
            devices.Add(Describe(device));
            if (device.AcceleratorType == AcceleratorType.Cuda)
                cuda++;
        }
        return new JsonObject { ["devices"] = devices, ["cuda_devices"] = cuda };
    }

    /// <summary>Describes one device: name, type, memory, group and warp sizes, and CUDA specifics.</summary>
    /// <param name="device">The device.</param>
    /// <returns>The device as JSON.</returns>
    public static JsonObject Describe(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        var json = new JsonObject
        {
            ["name"] = device.Name,
            ["accelerator_type"] = device.AcceleratorType.ToString(),
            ["memory_bytes"] = device.MemorySize,
            ["max_threads_per_group"] = device.MaxNumThreadsPerGroup,
            ["warp_size"] = device.WarpSize,
            ["multiprocessors"] = device.NumMultiprocessors,
        };
        if (device is CudaDevice cuda)
        {
            json["cuda_device_id"] = cuda.DeviceId;
            json["architecture"] = cuda.Architecture?.ToString();
            json["instruction_set"] = cuda.InstructionSet?.ToString();
            json["driver_version"] = cuda.DriverVersion.ToString();
        }
        return json;
    }
}

using System.Reflection;
using System.Text.Json.Nodes;
using ILGPU.Runtime.Cuda;

namespace DeepPcr.GpuCheck;

/// <summary>
/// Why ILGPU lists no CUDA device. ILGPU swallows every exception while it enumerates CUDA devices,
/// so this asks its CUDA API object directly (was libcuda found, cuDeviceGetCount) and constructs each
/// <see cref="CudaDevice"/> itself (an internal constructor, through reflection) to see what throws.
/// </summary>
public static class IlgpuCudaDiagnosis
{
    /// <summary>Runs the diagnosis.</summary>
    /// <returns><c>"api"</c> (ILGPU's CUDA API class), <c>"is_supported"</c>, <c>"device_count"</c>, and per device what its construction gave.</returns>
    public static JsonObject Run()
    {
        LibCuda.EnsureIlgpuResolver();
        var api = CudaAPI.CurrentAPI;
        var json = new JsonObject
        {
            ["api"] = api.GetType().Name,
            ["is_supported"] = api.IsSupported,
        };
        if (!api.IsSupported)
        {
            json["note"] = "ILGPU's CUDA API is not supported here: libcuda did not load or cuInit failed";
            return json;
        }

        var countError = api.GetDeviceCount(out int count);
        json["device_count_result"] = countError.ToString();
        json["device_count"] = count;
        var versionError = api.GetDriverVersion(out var driverVersion);
        json["driver_version"] = versionError == CudaError.CUDA_SUCCESS ? driverVersion.ToString() : versionError.ToString();

        var constructor = typeof(CudaDevice).GetConstructor(BindingFlags.NonPublic | BindingFlags.Instance, [typeof(int)]);
        var devices = new JsonArray();
        for (int ordinal = 0; ordinal < count; ordinal++)
            devices.Add((JsonNode)Construct(api, constructor, ordinal));
        json["devices"] = devices;
        return json;
    }

    private static JsonObject Construct(CudaAPI api, ConstructorInfo? constructor, int ordinal)
    {
        var json = new JsonObject { ["ordinal"] = ordinal };
        var error = api.GetDevice(out int deviceId, ordinal);
        json["get_device_result"] = error.ToString();
        if (error != CudaError.CUDA_SUCCESS)
            return json;
        if (constructor is null)
        {
            json["error"] = "CudaDevice(int) constructor not found in this ILGPU version";
            return json;
        }
        try
        {
            var device = (CudaDevice)constructor.Invoke([deviceId]);
            json["constructed"] = true;
            json["device"] = DeviceListing.Describe(device);
        }
        catch (TargetInvocationException e) when (e.InnerException is { } inner)
        {
            json["constructed"] = false;
            json["error"] = $"{inner.GetType().FullName}: {inner.Message}";
            json["exception"] = Stage.Truncate(inner.ToString(), 2000);
        }
        return json;
    }
}

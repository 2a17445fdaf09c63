using System.Runtime.InteropServices;

namespace DeepPcr.GpuCheck.DriverApi;

/// <summary>
/// The few CUDA driver-API entry points the raw route needs, as function pointers read from a
/// loaded <c>libcuda</c> (so no import name has to resolve). Each returns a CUresult (0 = success).
/// </summary>
public sealed unsafe class CudaDriver
{
    /// <summary>CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR.</summary>
    public const int AttributeComputeCapabilityMajor = 75;

    /// <summary>CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR.</summary>
    public const int AttributeComputeCapabilityMinor = 76;

    /// <summary>CU_JIT_ERROR_LOG_BUFFER.</summary>
    public const int JitErrorLogBuffer = 5;

    /// <summary>CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES.</summary>
    public const int JitErrorLogBufferSizeBytes = 6;

    /// <summary>cuInit(flags).</summary>
    public delegate* unmanaged<uint, int> Init { get; private init; }

    /// <summary>cuDriverGetVersion(&amp;version).</summary>
    public delegate* unmanaged<int*, int> DriverGetVersion { get; private init; }

    /// <summary>cuDeviceGetCount(&amp;count).</summary>
    public delegate* unmanaged<int*, int> DeviceGetCount { get; private init; }

    /// <summary>cuDeviceGet(&amp;device, ordinal).</summary>
    public delegate* unmanaged<int*, int, int> DeviceGet { get; private init; }

    /// <summary>cuDeviceGetName(name, length, device).</summary>
    public delegate* unmanaged<byte*, int, int, int> DeviceGetName { get; private init; }

    /// <summary>cuDeviceGetAttribute(&amp;value, attribute, device).</summary>
    public delegate* unmanaged<int*, int, int, int> DeviceGetAttribute { get; private init; }

    /// <summary>cuDeviceTotalMem_v2(&amp;bytes, device).</summary>
    public delegate* unmanaged<nuint*, int, int> DeviceTotalMem { get; private init; }

    /// <summary>cuDevicePrimaryCtxRetain(&amp;context, device).</summary>
    public delegate* unmanaged<IntPtr*, int, int> DevicePrimaryCtxRetain { get; private init; }

    /// <summary>cuDevicePrimaryCtxRelease_v2(device).</summary>
    public delegate* unmanaged<int, int> DevicePrimaryCtxRelease { get; private init; }

    /// <summary>cuCtxSetCurrent(context).</summary>
    public delegate* unmanaged<IntPtr, int> CtxSetCurrent { get; private init; }

    /// <summary>cuCtxSynchronize().</summary>
    public delegate* unmanaged<int> CtxSynchronize { get; private init; }

    /// <summary>cuModuleLoadDataEx(&amp;module, image, numOptions, options, optionValues).</summary>
    public delegate* unmanaged<IntPtr*, byte*, uint, int*, void**, int> ModuleLoadDataEx { get; private init; }

    /// <summary>cuModuleGetFunction(&amp;function, module, name).</summary>
    public delegate* unmanaged<IntPtr*, IntPtr, byte*, int> ModuleGetFunction { get; private init; }

    /// <summary>cuModuleUnload(module).</summary>
    public delegate* unmanaged<IntPtr, int> ModuleUnload { get; private init; }

    /// <summary>cuMemAlloc_v2(&amp;pointer, bytes).</summary>
    public delegate* unmanaged<ulong*, nuint, int> MemAlloc { get; private init; }

    /// <summary>cuMemFree_v2(pointer).</summary>
    public delegate* unmanaged<ulong, int> MemFree { get; private init; }

    /// <summary>cuMemcpyHtoD_v2(device, host, bytes).</summary>
    public delegate* unmanaged<ulong, void*, nuint, int> MemcpyHtoD { get; private init; }

    /// <summary>cuMemcpyDtoH_v2(host, device, bytes).</summary>
    public delegate* unmanaged<void*, ulong, nuint, int> MemcpyDtoH { get; private init; }

    /// <summary>cuLaunchKernel(f, grid x, y, z, block x, y, z, shared bytes, stream, params, extra).</summary>
    public delegate* unmanaged<IntPtr, uint, uint, uint, uint, uint, uint, uint, IntPtr, void**, void**, int> LaunchKernel { get; private init; }

    /// <summary>cuGetErrorName(error, &amp;name).</summary>
    public delegate* unmanaged<int, byte**, int> GetErrorName { get; private init; }

    /// <summary>Reads the entry points from a loaded driver library.</summary>
    /// <param name="library">A handle from <see cref="NativeLibrary.Load(string)"/>.</param>
    /// <returns>The entry points.</returns>
    /// <exception cref="EntryPointNotFoundException">An entry point is missing.</exception>
    public static CudaDriver Load(IntPtr library) => new()
    {
        Init = (delegate* unmanaged<uint, int>)Export(library, "cuInit"),
        DriverGetVersion = (delegate* unmanaged<int*, int>)Export(library, "cuDriverGetVersion"),
        DeviceGetCount = (delegate* unmanaged<int*, int>)Export(library, "cuDeviceGetCount"),
        DeviceGet = (delegate* unmanaged<int*, int, int>)Export(library, "cuDeviceGet"),
        DeviceGetName = (delegate* unmanaged<byte*, int, int, int>)Export(library, "cuDeviceGetName"),
        DeviceGetAttribute = (delegate* unmanaged<int*, int, int, int>)Export(library, "cuDeviceGetAttribute"),
        DeviceTotalMem = (delegate* unmanaged<nuint*, int, int>)Export(library, "cuDeviceTotalMem_v2"),
        DevicePrimaryCtxRetain = (delegate* unmanaged<IntPtr*, int, int>)Export(library, "cuDevicePrimaryCtxRetain"),
        DevicePrimaryCtxRelease = (delegate* unmanaged<int, int>)Export(library, "cuDevicePrimaryCtxRelease_v2", "cuDevicePrimaryCtxRelease"),
        CtxSetCurrent = (delegate* unmanaged<IntPtr, int>)Export(library, "cuCtxSetCurrent"),
        CtxSynchronize = (delegate* unmanaged<int>)Export(library, "cuCtxSynchronize"),
        ModuleLoadDataEx = (delegate* unmanaged<IntPtr*, byte*, uint, int*, void**, int>)Export(library, "cuModuleLoadDataEx"),
        ModuleGetFunction = (delegate* unmanaged<IntPtr*, IntPtr, byte*, int>)Export(library, "cuModuleGetFunction"),
        ModuleUnload = (delegate* unmanaged<IntPtr, int>)Export(library, "cuModuleUnload"),
        MemAlloc = (delegate* unmanaged<ulong*, nuint, int>)Export(library, "cuMemAlloc_v2"),
        MemFree = (delegate* unmanaged<ulong, int>)Export(library, "cuMemFree_v2"),
        MemcpyHtoD = (delegate* unmanaged<ulong, void*, nuint, int>)Export(library, "cuMemcpyHtoD_v2"),
        MemcpyDtoH = (delegate* unmanaged<void*, ulong, nuint, int>)Export(library, "cuMemcpyDtoH_v2"),
        LaunchKernel = (delegate* unmanaged<IntPtr, uint, uint, uint, uint, uint, uint, uint, IntPtr, void**, void**, int>)Export(library, "cuLaunchKernel"),
        GetErrorName = (delegate* unmanaged<int, byte**, int>)Export(library, "cuGetErrorName"),
    };

    /// <summary>The CUresult's name, such as "CUDA_SUCCESS" or "CUDA_ERROR_NO_DEVICE".</summary>
    /// <param name="result">A CUresult.</param>
    /// <returns>Its name, or "CUresult N" where the driver does not know it.</returns>
    public string ErrorName(int result)
    {
        byte* name = null;
        return GetErrorName(result, &name) == 0 && name != null
            ? Marshal.PtrToStringAnsi((IntPtr)name) ?? $"CUresult {result}"
            : $"CUresult {result}";
    }

    private static IntPtr Export(IntPtr library, params string[] names)
    {
        foreach (string name in names)
        {
            if (NativeLibrary.TryGetExport(library, name, out var address))
                return address;
        }
        throw new EntryPointNotFoundException($"libcuda has no {string.Join(" or ", names)}");
    }
}

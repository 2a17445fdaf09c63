using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using ILGPU.Runtime.Cuda;

namespace DeepPcr.GpuCheck.DriverApi;

/// <summary>
/// The <c>"driver_api"</c> route, the last resort when ILGPU lists no CUDA device: loads
/// <see cref="AddOnePtx"/> through the CUDA driver API directly (cuInit, the primary context,
/// cuModuleLoadDataEx, cuMemAlloc, cuLaunchKernel, ...) and checks the result on the host.
/// </summary>
public static unsafe class DriverApiRoute
{
    /// <summary>The <c>"error"</c> text when no driver library could be loaded.</summary>
    public const string LibCudaNotFound = "libcuda not found";

    private sealed class DriverFailure(string message) : Exception(message);

    /// <summary>Runs the route on device 0.</summary>
    /// <param name="elements">Elements of the u32 array (default 1 &lt;&lt; 20).</param>
    /// <param name="repetitions">Timed launches after the checked one (default 20).</param>
    /// <returns>The route's JSON: each driver call's result in <c>"calls"</c>, the device, the PTX tried, the check.</returns>
    public static JsonObject Run(int elements = 1 << 20, int repetitions = 20)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(elements, 1);
        var tried = new List<string>();
        if (!LibCuda.TryLoad(out var library, out var loadedFrom, tried))
        {
            return new JsonObject
            {
                ["ok"] = false,
                ["error"] = LibCudaNotFound,
                ["tried"] = new JsonArray(tried.Select(t => (JsonNode?)t).ToArray()),
            };
        }

        var json = new JsonObject { ["libcuda"] = loadedFrom };
        var calls = new JsonArray();
        json["calls"] = calls;
        var driver = CudaDriver.Load(library);
        try
        {
            RunOnDevice(driver, elements, repetitions, json, calls);
        }
        catch (DriverFailure failure)
        {
            json["ok"] = false;
            json["error"] = failure.Message;
        }
        return json;
    }

    private static void RunOnDevice(CudaDriver driver, int n, int repetitions, JsonObject json, JsonArray calls)
    {
        int Check(string call, int result)
        {
            string name = result == 0 ? "CUDA_SUCCESS" : driver.ErrorName(result);
            calls.Add(new JsonObject { ["call"] = call, ["result"] = result, ["name"] = name });
            if (result != 0)
                throw new DriverFailure($"{call} failed: {name} ({result})");
            return result;
        }

        Check("cuInit", driver.Init(0));
        int version, count, device, major, minor;
        Check("cuDriverGetVersion", driver.DriverGetVersion(&version));
        json["driver_version"] = $"{version / 1000}.{version % 1000 / 10}";
        Check("cuDeviceGetCount", driver.DeviceGetCount(&count));
        json["device_count"] = count;
        if (count < 1)
            throw new DriverFailure("cuDeviceGetCount reports no device");
        Check("cuDeviceGet", driver.DeviceGet(&device, 0));
        json["device"] = DescribeDevice(driver, device, Check, out major, out minor);

        IntPtr context;
        Check("cuDevicePrimaryCtxRetain", driver.DevicePrimaryCtxRetain(&context, device));
        IntPtr module = IntPtr.Zero;
        ulong pointer = 0;
        try
        {
            Check("cuCtxSetCurrent", driver.CtxSetCurrent(context));
            module = LoadModule(driver, major, minor, json);
            IntPtr function;
            byte[] entry = Encoding.ASCII.GetBytes(AddOnePtx.EntryName + "\0");
            fixed (byte* entryPtr = entry)
                Check("cuModuleGetFunction", driver.ModuleGetFunction(&function, module, entryPtr));

            var host = new uint[n];
            for (int i = 0; i < n; i++)
                host[i] = (uint)i;
            nuint bytes = (nuint)(n * sizeof(uint));
            Check("cuMemAlloc_v2", driver.MemAlloc(&pointer, bytes));
            fixed (uint* hostPtr = host)
                Check("cuMemcpyHtoD_v2", driver.MemcpyHtoD(pointer, hostPtr, bytes));

            uint count32 = (uint)n;
            uint grid = (uint)((n + AddOnePtx.BlockSize - 1) / AddOnePtx.BlockSize);
            void** parameters = stackalloc void*[2];
            ulong pointerArg = pointer;
            parameters[0] = &pointerArg;
            parameters[1] = &count32;
            long firstStart = Stopwatch.GetTimestamp();
            Check("cuLaunchKernel", driver.LaunchKernel(function, grid, 1, 1, AddOnePtx.BlockSize, 1, 1, 0, IntPtr.Zero, parameters, null));
            Check("cuCtxSynchronize", driver.CtxSynchronize());
            double firstMs = Stopwatch.GetElapsedTime(firstStart).TotalMilliseconds;

            var back = new uint[n];
            fixed (uint* backPtr = back)
                Check("cuMemcpyDtoH_v2", driver.MemcpyDtoH(backPtr, pointer, bytes));
            int wrong = 0;
            for (int i = 0; i < n; i++)
            {
                if (back[i] != (uint)i + 1)
                    wrong++;
            }

            var times = new double[Math.Max(repetitions, 1)];
            for (int r = 0; r < times.Length; r++)
            {
                long start = Stopwatch.GetTimestamp();
                int launch = driver.LaunchKernel(function, grid, 1, 1, AddOnePtx.BlockSize, 1, 1, 0, IntPtr.Zero, parameters, null);
                int sync = driver.CtxSynchronize();
                times[r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (launch != 0 || sync != 0)
                {
                    Check("cuLaunchKernel (timed)", launch);
                    Check("cuCtxSynchronize (timed)", sync);
                }
            }

            json["ok"] = wrong == 0;
            if (wrong != 0)
                json["error"] = $"{wrong} of {n} elements are not input + 1";
            json["elements"] = n;
            json["wrong_elements"] = wrong;
            json["first_launch_ms"] = Timing.Round(firstMs);
            json["launch_median_ms"] = Timing.Round(Timing.Median(times));
        }
        finally
        {
            if (pointer != 0)
                calls.Add(Call(driver, "cuMemFree_v2", driver.MemFree(pointer)));
            if (module != IntPtr.Zero)
                calls.Add(Call(driver, "cuModuleUnload", driver.ModuleUnload(module)));
            calls.Add(Call(driver, "cuDevicePrimaryCtxRelease", driver.DevicePrimaryCtxRelease(device)));
        }
    }

    private static JsonObject DescribeDevice(CudaDriver driver, int device, Func<string, int, int> check, out int major, out int minor)
    {
        byte* name = stackalloc byte[256];
        check("cuDeviceGetName", driver.DeviceGetName(name, 256, device));
        int ccMajor, ccMinor;
        check("cuDeviceGetAttribute(major)", driver.DeviceGetAttribute(&ccMajor, CudaDriver.AttributeComputeCapabilityMajor, device));
        check("cuDeviceGetAttribute(minor)", driver.DeviceGetAttribute(&ccMinor, CudaDriver.AttributeComputeCapabilityMinor, device));
        nuint memory;
        check("cuDeviceTotalMem_v2", driver.DeviceTotalMem(&memory, device));
        major = ccMajor;
        minor = ccMinor;
        var (queried, failures) = ScanIlgpuAttributes(driver, device);
        return new JsonObject
        {
            ["name"] = new string((sbyte*)name),
            ["compute_capability"] = $"{ccMajor}.{ccMinor}",
            ["memory_bytes"] = (long)memory,
            ["ilgpu_attributes_queried"] = queried,
            ["ilgpu_attribute_failures"] = failures,
        };
    }

    /// <summary>
    /// Queries every device attribute ILGPU knows (<see cref="DeviceAttributeKind"/>): ILGPU drops a
    /// device altogether when one of the attributes it reads fails, so the failures explain a missing device.
    /// </summary>
    private static (int Queried, JsonArray Failures) ScanIlgpuAttributes(CudaDriver driver, int device)
    {
        var failures = new JsonArray();
        var kinds = Enum.GetValues<DeviceAttributeKind>();
        foreach (var kind in kinds)
        {
            int value;
            int result = driver.DeviceGetAttribute(&value, (int)kind, device);
            if (result != 0)
                failures.Add((JsonNode)$"{kind}: {driver.ErrorName(result)}");
        }
        return (kinds.Length, failures);
    }

    private static IntPtr LoadModule(CudaDriver driver, int major, int minor, JsonObject json)
    {
        var attempts = new JsonArray();
        json["ptx"] = attempts;
        const int LogSize = 8192;
        byte* log = stackalloc byte[LogSize];
        int* options = stackalloc int[2];
        void** values = stackalloc void*[2];
        foreach (var (isa, target) in AddOnePtx.Candidates(major, minor))
        {
            byte[] image = Encoding.ASCII.GetBytes(AddOnePtx.Source(isa, target) + "\0");
            log[0] = 0;
            options[0] = CudaDriver.JitErrorLogBuffer;
            values[0] = log;
            options[1] = CudaDriver.JitErrorLogBufferSizeBytes;
            values[1] = (void*)(nuint)LogSize;
            IntPtr module;
            int result;
            fixed (byte* imagePtr = image)
                result = driver.ModuleLoadDataEx(&module, imagePtr, 2, options, values);
            string name = result == 0 ? "CUDA_SUCCESS" : driver.ErrorName(result);
            attempts.Add(new JsonObject
            {
                ["version"] = isa,
                ["target"] = target,
                ["result"] = name,
                ["jit_log"] = new string((sbyte*)log).Trim(),
            });
            if (result == 0)
                return module;
        }
        throw new DriverFailure("cuModuleLoadDataEx failed for every PTX candidate (see \"ptx\")");
    }

    private static JsonObject Call(CudaDriver driver, string call, int result) => new()
    {
        ["call"] = call,
        ["result"] = result,
        ["name"] = result == 0 ? "CUDA_SUCCESS" : driver.ErrorName(result),
    };
}

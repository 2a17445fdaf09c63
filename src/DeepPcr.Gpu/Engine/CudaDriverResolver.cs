using System.Reflection;
using System.Runtime.InteropServices;

namespace DeepPcr.Gpu.Engine;

/// <summary>
/// ILGPU imports the NVIDIA driver as "cuda", which .NET resolves to <c>libcuda.so</c> only; a machine with the
/// driver but no development link has only <c>libcuda.so.1</c>. This resolver (the one of
/// src/DeepPcr.GpuCheck/LibCuda.cs, reduced) lets ILGPU find that too. Installed once per process, on Linux
/// outside WSL (where ILGPU installs its own).
/// </summary>
internal static class CudaDriverResolver
{
    private static readonly string[] Candidates =
    [
        "libcuda.so.1", "libcuda.so", "/usr/lib/x86_64-linux-gnu/libcuda.so.1", "/usr/local/nvidia/lib64/libcuda.so.1",
        "/usr/lib64/libcuda.so.1", "/usr/lib/wsl/lib/libcuda.so.1",
    ];

    private static readonly object Gate = new();
    private static bool _done;

    /// <summary>Installs the resolver unless it is installed already or not wanted here.</summary>
    public static void Ensure()
    {
        lock (Gate)
        {
            if (_done) return;
            _done = true;
            if (!OperatingSystem.IsLinux() || IsWsl()) return;
            try
            {
                NativeLibrary.SetDllImportResolver(typeof(ILGPU.Context).Assembly, Resolve);
            }
            catch (InvalidOperationException)
            {
                // Someone (ILGPU itself) installed a resolver first: keep theirs.
            }
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name is not ("cuda" or "libcuda" or "libcuda.so")) return IntPtr.Zero;
        foreach (string candidate in Candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        }
        return IntPtr.Zero;
    }

    private static bool IsWsl()
    {
        try
        {
            return File.ReadAllText("/proc/version").Contains("Microsoft", StringComparison.OrdinalIgnoreCase);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}

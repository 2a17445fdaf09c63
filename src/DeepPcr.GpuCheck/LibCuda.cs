using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace DeepPcr.GpuCheck;

/// <summary>
/// Finds the NVIDIA driver library. ILGPU imports it as "cuda", which .NET resolves to
/// <c>libcuda.so</c> only; a machine with the driver but no development link has only
/// <c>libcuda.so.1</c>. <see cref="EnsureIlgpuResolver"/> teaches ILGPU to take that too.
/// </summary>
public static class LibCuda
{
    /// <summary>Names and paths tried, in order.</summary>
    public static readonly IReadOnlyList<string> Candidates =
    [
        "libcuda.so.1",
        "libcuda.so",
        "/usr/lib/x86_64-linux-gnu/libcuda.so.1",
        "/usr/local/nvidia/lib64/libcuda.so.1",
        "/usr/local/nvidia/lib/libcuda.so.1",
        "/usr/lib64/libcuda.so.1",
        "/usr/lib/wsl/lib/libcuda.so.1",
    ];

    private static readonly object Gate = new();
    private static bool resolverDone;
    private static string resolverState = "not installed";
    private static string? resolvedFrom;

    /// <summary>Tries to load the driver library from <see cref="Candidates"/>.</summary>
    /// <param name="handle">The library handle, or zero.</param>
    /// <param name="loadedFrom">The candidate that loaded, or null.</param>
    /// <param name="attempts">One line per candidate tried, with its error.</param>
    /// <returns>Whether a candidate loaded.</returns>
    public static bool TryLoad(out IntPtr handle, out string? loadedFrom, List<string> attempts)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        foreach (string candidate in Candidates)
        {
            try
            {
                handle = NativeLibrary.Load(candidate);
                loadedFrom = candidate;
                attempts.Add($"{candidate}: loaded");
                return true;
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                attempts.Add(Reason(candidate, e.Message));
            }
        }
        handle = IntPtr.Zero;
        loadedFrom = null;
        return false;
    }

    /// <summary>
    /// Installs, once per process and before ILGPU first touches CUDA, a resolver for ILGPU's
    /// "cuda" import that tries <see cref="Candidates"/>. Skipped on WSL, where ILGPU installs
    /// its own resolver (a second one would make ILGPU throw).
    /// </summary>
    /// <returns>What was done, for the JSON output.</returns>
    public static JsonObject EnsureIlgpuResolver()
    {
        lock (Gate)
        {
            if (!resolverDone)
            {
                resolverDone = true;
                resolverState = Install();
            }
            return new JsonObject { ["resolver"] = resolverState, ["resolved_from"] = resolvedFrom };
        }
    }

    private static string Install()
    {
        if (!OperatingSystem.IsLinux())
            return "not Linux: ILGPU's own lookup";
        if (IsWsl())
            return "WSL: ILGPU's own resolver";
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(ILGPU.Context).Assembly, Resolve);
            return "installed";
        }
        catch (InvalidOperationException e)
        {
            return $"not installed: {e.Message}";
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name is not ("cuda" or "libcuda" or "libcuda.so"))
            return IntPtr.Zero;
        var attempts = new List<string>();
        if (!TryLoad(out var handle, out var from, attempts))
            return IntPtr.Zero;
        resolvedFrom = from;
        return handle;
    }

    private static bool IsWsl()
    {
        try
        {
            return File.ReadAllText("/proc/version").Contains("Microsoft", StringComparison.OrdinalIgnoreCase);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// .NET's load error starts with a generic sentence and then gives the loader's message per path
    /// tried; this keeps the loader's messages.
    /// </summary>
    private static string Reason(string candidate, string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length > 1 ? string.Join("; ", lines.Skip(1)) : $"{candidate}: {message}";
    }
}

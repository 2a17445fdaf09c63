using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace DeepPcr.GpuCheck;

/// <summary>The <c>"runtime"</c> stage: which .NET, OS and packaging this process runs with.</summary>
public static class RuntimeStage
{
    /// <summary>Describes the running process.</summary>
    /// <returns>.NET version, OS, architectures, self-contained and single-file flags, glibc, ILGPU version.</returns>
    public static JsonObject Run()
    {
        string runtimeDirectory = RuntimeEnvironment.GetRuntimeDirectory();
        return new JsonObject
        {
            ["dotnet_version"] = Environment.Version.ToString(),
            ["framework_description"] = RuntimeInformation.FrameworkDescription,
            ["os_description"] = RuntimeInformation.OSDescription,
            ["os_architecture"] = RuntimeInformation.OSArchitecture.ToString(),
            ["process_architecture"] = RuntimeInformation.ProcessArchitecture.ToString(),
            ["runtime_identifier"] = RuntimeInformation.RuntimeIdentifier,
            ["self_contained"] = IsSelfContained(runtimeDirectory),
            ["single_file"] = IsSingleFile(),
            ["runtime_directory"] = runtimeDirectory,
            ["app_directory"] = AppContext.BaseDirectory,
            ["processor_count"] = Environment.ProcessorCount,
            ["glibc"] = GlibcVersion(),
            ["ilgpu_version"] = typeof(ILGPU.Context).Assembly.GetName().Version?.ToString(),
        };
    }

    /// <summary>
    /// True when the runtime was loaded from the application's own folder (self-contained), false
    /// when it came from a shared .NET installation (framework-dependent).
    /// </summary>
    /// <param name="runtimeDirectory">The folder the runtime was loaded from.</param>
    /// <returns>Whether the process is self-contained.</returns>
    public static bool IsSelfContained(string runtimeDirectory) =>
        string.Equals(Normalise(runtimeDirectory), Normalise(AppContext.BaseDirectory), StringComparison.Ordinal);

    /// <summary>True when this assembly was loaded from a single-file bundle (it then has no file of its own).</summary>
    /// <returns>Whether the process is a single-file app.</returns>
#pragma warning disable IL3000 // Assembly.Location is empty in a single-file app: that is what is tested.
    public static bool IsSingleFile() => string.IsNullOrEmpty(typeof(RuntimeStage).Assembly.Location);
#pragma warning restore IL3000

    /// <summary>The C library's version (glibc), or null where it cannot be read.</summary>
    /// <returns>For example "2.36".</returns>
    public static string? GlibcVersion()
    {
        if (!OperatingSystem.IsLinux())
            return null;
        try
        {
            return Marshal.PtrToStringAnsi(gnu_get_libc_version());
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    private static string Normalise(string path) =>
        Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);

    [DllImport("libc.so.6")]
    private static extern IntPtr gnu_get_libc_version();
}

using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace DeepPcr.GpuBench.Measuring;

/// <summary>
/// The JSON envelope (docs/measuring.md), provenance only: <c>dtype</c>, <c>device</c>, <c>machine</c>,
/// <c>git_sha</c>, <c>command</c>, <c>jit</c>.
/// </summary>
public static class Provenance
{
    /// <summary>"optimized" when tiered compilation is off (as this program is built), else "tiered".</summary>
    public static string Jit
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable("DOTNET_TieredCompilation") ?? Environment.GetEnvironmentVariable("COMPlus_TieredCompilation");
            if (env is not null) return env == "0" ? "optimized" : "tiered";
            object? setting = AppContext.GetData("System.Runtime.TieredCompilation");
            return setting is not null && !Convert.ToBoolean(setting, System.Globalization.CultureInfo.InvariantCulture) ? "optimized" : "tiered";
        }
    }

    /// <summary>The commit the binary was built from ("-dirty" with uncommitted changes), or "unknown".</summary>
    public static string GitSha =>
        typeof(Provenance).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "GitSha")?.Value ?? "unknown";

    /// <summary>The host: CPU model, core count, operating system, .NET version.</summary>
    public static string Machine
    {
        get
        {
            string cpu = "unknown CPU";
            if (File.Exists("/proc/cpuinfo"))
                cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
            return $"{cpu}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}";
        }
    }

    /// <summary>The envelope of one result.</summary>
    /// <param name="device">The accelerator in words (name and memory).</param>
    /// <param name="args">The command line's arguments.</param>
    /// <returns>A new JSON object.</returns>
    public static JsonObject Envelope(string device, IEnumerable<string> args) => new()
    {
        ["dtype"] = "float32",
        ["device"] = device,
        ["machine"] = Machine,
        ["git_sha"] = GitSha,
        ["command"] = string.Join(' ', new[] { "deeppcr-gpu-bench" }.Concat(args)),
        ["jit"] = Jit,
    };
}

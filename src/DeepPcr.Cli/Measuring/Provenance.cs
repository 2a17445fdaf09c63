using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using TorchSharp;

namespace DeepPcr.Cli.Measuring;

/// <summary>
/// The JSON envelope of every benchmark result (docs/measuring.md): provenance only, namely
/// <c>dtype</c>, <c>threads</c>, <c>jit</c>, <c>machine</c>, <c>git_sha</c> and <c>command</c>.
/// </summary>
public static class Provenance
{
    /// <summary>
    /// How this process's code is compiled: "optimized" when tiered compilation is off (every method is
    /// compiled fully optimised on first call), otherwise "tiered" (short runs time tier-0 code).
    /// </summary>
    public static string Jit
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable("DOTNET_TieredCompilation")
                          ?? Environment.GetEnvironmentVariable("COMPlus_TieredCompilation");
            if (env is not null) return env == "0" ? "optimized" : "tiered";
            object? setting = AppContext.GetData("System.Runtime.TieredCompilation");
            return setting is not null && !Convert.ToBoolean(setting) ? "optimized" : "tiered";
        }
    }

    /// <summary>The commit the binary was built from ("-dirty" when the tree had uncommitted changes).</summary>
    public static string GitSha =>
        typeof(Provenance).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "GitSha")?.Value ?? "unknown";

    /// <summary>The CPU model, core count, operating system and runtime.</summary>
    public static string Machine
    {
        get
        {
            string cpu = "unknown CPU";
            if (File.Exists("/proc/cpuinfo"))
            {
                cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? cpu;
            }
            return $"{cpu}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, CPU (no GPU)";
        }
    }

    /// <summary>The envelope for a run with the given dtype name and command line.</summary>
    /// <param name="dtype">"float32" or "float64".</param>
    /// <param name="threads">The thread settings the run used, in words (e.g. "torch sequential: best of 1 and 2; others: 1").</param>
    /// <param name="args">The command's arguments.</param>
    public static JsonObject Envelope(string dtype, string threads, IEnumerable<string> args) => new()
    {
        ["dtype"] = dtype,
        ["threads"] = threads,
        ["jit"] = Jit,
        ["machine"] = Machine,
        ["git_sha"] = GitSha,
        ["command"] = string.Join(' ', new[] { "deeppcr" }.Concat(args)),
    };

    /// <summary>The TorchSharp intra-op thread count in force.</summary>
    public static int TorchThreads => torch.get_num_threads();
}

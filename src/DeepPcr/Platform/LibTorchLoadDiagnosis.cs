using System.Text.RegularExpressions;

namespace DeepPcr.Platform;

/// <summary>
/// Reads the dynamic loader's error text (dlerror, as the runtime's <see cref="DllNotFoundException"/> carries it)
/// and says what is missing and how to fix it. Only failures of a library that was found qualify: a library that is
/// absent is left to TorchSharp's own search and message.
/// </summary>
public static partial class LibTorchLoadDiagnosis
{
    /// <summary>
    /// The explanation for a loader error, or null where the text names no missing symbol version or symbol.
    /// </summary>
    /// <param name="loaderMessage">The loader's error text; for example
    /// "/app/libLibTorchSharp.so: /lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.32' not found (required by /app/libLibTorchSharp.so)".</param>
    /// <param name="missing">The missing symbol version or symbol, where one is named.</param>
    public static string? Explain(string loaderMessage, out string? missing)
    {
        ArgumentNullException.ThrowIfNull(loaderMessage);
        Match version = MissingVersion().Match(loaderMessage);
        if (version.Success)
        {
            missing = version.Groups["version"].Value;
            string library = version.Groups["library"].Value.Trim();
            return $"TorchSharp's native library could not be loaded: {library} lacks the symbol version {missing}. "
                   + FixFor(missing) + $" (loader: {version.Value})";
        }
        Match symbol = UndefinedSymbol().Match(loaderMessage);
        if (symbol.Success)
        {
            missing = symbol.Groups["symbol"].Value;
            return $"TorchSharp's native library could not be loaded: the symbol {missing} is undefined. "
                   + "TorchSharp 0.107.0 needs libtorch-cpu-linux-x64 2.10.0 exactly (the DeepPcr package depends on both); "
                   + "another libtorch on LD_LIBRARY_PATH or a mismatched package version gives this error. "
                   + $"(loader: {symbol.Value})";
        }
        missing = null;
        return null;
    }

    private static string FixFor(string version) => version.StartsWith("GLIBCXX_", StringComparison.Ordinal)
        ? "DeepPcr's build step marks TorchSharp's unused GLIBCXX_3.4.32 requirement weak in the build and publish "
          + "output of every project that references the DeepPcr or DeepPcr.Models package; this copy was not "
          + "produced that way. Run the program from `dotnet build`, `dotnet run` or `dotnet publish` output of such a "
          + "project (not files copied from the NuGet cache, and not with DeepPcrPatchLibTorchSharp=false), or install "
          + "a libstdc++ from GCC 13 or newer."
        : "Install a system library that provides it (TorchSharp 0.107.0 is built against glibc and libstdc++ of "
          + "2023 or newer; DeepPcr's build step covers only GLIBCXX_3.4.32).";

    [GeneratedRegex(@"(?<library>[^\s:]+): version `(?<version>[^']+)' not found[^\r\n]*")]
    private static partial Regex MissingVersion();

    [GeneratedRegex(@"undefined symbol: (?<symbol>[^\s,)]+)[^\r\n]*")]
    private static partial Regex UndefinedSymbol();
}

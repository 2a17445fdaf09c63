using System.Runtime.InteropServices;
using DeepPcr.Platform;

namespace DeepPcr.Tests;

/// <summary>
/// The clear-exception check of issue 22: a TorchSharp native library that is present but cannot load is reported
/// with the missing symbol version and the fix.
/// </summary>
public class LibTorchLoadCheckTests
{
    private const string Version = "GLIBCXX_3.4.32";

    [Fact]
    public void TheLoaderErrorOfAnUnpatchedCopyNamesTheVersionAndTheFix()
    {
        string? cached = CachedLibTorchSharp();
        if (cached is null || SystemLibStdCxxHas(Version)) return; // nothing fails to load here
        LibTorchLoadCheck.EnsureLoadable(); // the patched copy of this build loads
        var error = Assert.Throws<DllNotFoundException>(() => NativeLibrary.Load(cached));
        string? explanation = LibTorchLoadDiagnosis.Explain(error.Message, out string? missing);
        Assert.Equal(Version, missing);
        Assert.NotNull(explanation);
        Assert.Contains(Version, explanation);
        Assert.Contains("weak", explanation);
        Assert.Contains("GCC 13", explanation);
    }

    [Fact]
    public void AnUndefinedSymbolIsNamed()
    {
        const string text = "/app/libLibTorchSharp.so: undefined symbol: _ZN3c104impl3cow11cow_deleterEPv";
        string? explanation = LibTorchLoadDiagnosis.Explain(text, out string? missing);
        Assert.Equal("_ZN3c104impl3cow11cow_deleterEPv", missing);
        Assert.Contains("libtorch-cpu-linux-x64 2.10.0", explanation);
    }

    [Fact]
    public void ALibraryThatIsNotFoundIsLeftToTorchSharp()
    {
        const string text = "Unable to load shared library 'LibTorchSharp' or one of its dependencies.\n"
                            + "/app/libLibTorchSharp.so: cannot open shared object file: No such file or directory";
        Assert.Null(LibTorchLoadDiagnosis.Explain(text, out string? missing));
        Assert.Null(missing);
    }

    private static string? CachedLibTorchSharp()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                          ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        return File.Exists(path) ? path : null;
    }

    private static bool SystemLibStdCxxHas(string version)
    {
        foreach (string dir in new[] { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib" })
        {
            string path = Path.Combine(dir, "libstdc++.so.6");
            if (File.Exists(path)) return System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(path)).Contains(version + "\0");
        }
        return false;
    }
}

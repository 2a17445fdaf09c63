using TorchSharp;

namespace DeepPcr.Tests;

/// <summary>TorchSharp's native library loads (the GLIBCXX compatibility step of DESIGN.md section 5 ran).</summary>
public class PlatformTests
{
    [Fact]
    public void TorchCreatesTensorsAndMultiplies()
    {
        using var a = torch.ones(3, 3, dtype: torch.float64);
        using var b = torch.matmul(a, a);
        Assert.Equal(27.0, b.sum().item<double>());
    }

    [Fact]
    public void OnlyTheOutputCopyIsPatched()
    {
        string output = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        Assert.True(File.Exists(output), $"{output} is missing");
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                          ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string cached = Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!File.Exists(cached)) return; // a custom package layout: nothing to compare against
        byte[] a = File.ReadAllBytes(output), b = File.ReadAllBytes(cached);
        Assert.Equal(b.Length, a.Length);
        int differing = Enumerable.Range(0, a.Length).Count(i => a[i] != b[i]);
        bool systemHasVersion = SystemLibStdCxxHas("GLIBCXX_3.4.32");
        // Patched: exactly one flag byte differs (VER_FLG_WEAK); where the system is new enough, nothing.
        Assert.Equal(systemHasVersion ? 0 : 1, differing);
    }

    private static bool SystemLibStdCxxHas(string version)
    {
        foreach (string dir in new[] { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib" })
        {
            string path = Path.Combine(dir, "libstdc++.so.6");
            if (File.Exists(path))
            {
                return System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(path)).Contains(version + "\0");
            }
        }
        return false;
    }
}

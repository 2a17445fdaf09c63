using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DeepPcr.Tests.Support;

/// <summary>
/// Runs before any test touches libtorch: one OpenMP thread per calling thread and the passive wait policy. In a
/// solution-wide `dotnet test` the other test projects load both cores while this one starts, and libtorch's
/// spinning OpenMP teams (one per xunit thread that calls TorchSharp) then stalled a batched dense solve for minutes
/// (BlockTridiagonalPcrTests, seen twice). Tests assert results, never speed, so a single thread costs nothing.
/// Variables the environment already sets are left alone.
/// </summary>
internal static class TestEnvironment
{
    [ModuleInitializer]
    internal static void Initialize()
    {
        if (!OperatingSystem.IsLinux()) return;
        Set("OMP_NUM_THREADS", "1");
        Set("OMP_WAIT_POLICY", "PASSIVE");
    }

    private static void Set(string name, string value)
    {
        if (Environment.GetEnvironmentVariable(name) is not null) return;
        setenv(name, value, 0);
        Environment.SetEnvironmentVariable(name, value);
    }

    [DllImport("libc", CharSet = CharSet.Ansi)]
    private static extern int setenv(string name, string value, int overwrite);
}

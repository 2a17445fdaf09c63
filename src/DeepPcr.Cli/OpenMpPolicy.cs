using System.Runtime.InteropServices;

namespace DeepPcr.Cli;

/// <summary>
/// libtorch's OpenMP workers spin for a while after each parallel region (OMP_WAIT_POLICY=active is GNU OpenMP's
/// default behaviour), which on a 2-core machine takes a core away from the host kernels that run between
/// TorchSharp calls: `deeppcr bench kernels` timed the dense 8x8 round at 0.26 ms by default and 0.21 ms passive. The command line therefore
/// asks for the passive policy before libtorch loads, unless the user set a policy of their own.
/// </summary>
internal static partial class OpenMpPolicy
{
    /// <summary>Sets OMP_WAIT_POLICY=PASSIVE in the native environment when it is not set. Call before any torch use.</summary>
    public static void PreferPassive()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is not null) return;
        try
        {
            SetEnv("OMP_WAIT_POLICY", "PASSIVE", 0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Without libc's setenv the default policy stays; only timings are affected.
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}

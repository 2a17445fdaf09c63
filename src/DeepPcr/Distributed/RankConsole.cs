using DeepPcr.Mpi;

namespace DeepPcr.Distributed;

/// <summary>
/// Open MPI's mpirun hands each rank a pseudo-terminal as stdout and forwards it; .NET then takes stdout for an
/// interactive terminal and writes the terminal's keypad-mode sequence (ESC [ ? 1 h ESC =) before the first line,
/// which corrupts `--json` output read from mpirun's stdout. A rank of an MPI job is never interactive, so under a
/// launcher the terminal type is set to "dumb" before the console starts, which has no such sequence (nor colours
/// or progress bars from several ranks at once).
/// </summary>
public static class RankConsole
{
    /// <summary>Call first in Main, before anything touches the console (<see cref="DistributedJob.Run"/> calls it too).</summary>
    public static void PreferPlainOutput()
    {
        if (MpiLaunch.UnderLauncher) Environment.SetEnvironmentVariable("TERM", "dumb");
    }
}

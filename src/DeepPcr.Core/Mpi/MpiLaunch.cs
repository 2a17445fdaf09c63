namespace DeepPcr.Mpi;

/// <summary>
/// What the launcher says about this process before MPI is started: whether mpirun (or a PMI launcher such as
/// Slurm's srun) started it, and how many of the job's ranks share this machine. Open MPI's mpirun sets
/// OMPI_COMM_WORLD_SIZE and OMPI_COMM_WORLD_LOCAL_SIZE; PMI launchers set PMI_SIZE or PMIX_RANK and, for MPICH,
/// MPI_LOCALNRANKS.
/// </summary>
public static class MpiLaunch
{
    /// <summary>True when a launcher started this process as one rank of a job.</summary>
    public static bool UnderLauncher =>
        Has("OMPI_COMM_WORLD_SIZE") || Has("PMI_SIZE") || Has("PMIX_RANK");

    /// <summary>The ranks of this job on this machine as the launcher reports them, or null when it does not.</summary>
    public static int? RanksOnThisNode =>
        Number("OMPI_COMM_WORLD_LOCAL_SIZE") ?? Number("MPI_LOCALNRANKS");

    /// <summary>
    /// The host threads each rank may use: the machine's online cores divided by the ranks on this machine, at least 1,
    /// and no more than the cores this process may run on (mpirun binds each rank to a core when the ranks fit).
    /// </summary>
    /// <param name="usable">The cores this process may run on (Environment.ProcessorCount, which follows the affinity mask).</param>
    /// <param name="ranks">The job's ranks, used where the launcher does not say how many share this machine.</param>
    public static int ThreadsPerRank(int usable, int ranks) =>
        Math.Max(1, Math.Min(usable, OnlineCores(usable) / Math.Max(1, RanksOnThisNode ?? ranks)));

    /// <summary>The machine's online cores from /sys/devices/system/cpu/online ("0-15,32-47"), or <paramref name="fallback"/>.</summary>
    private static int OnlineCores(int fallback)
    {
        try
        {
            int count = 0;
            foreach (var part in File.ReadAllText("/sys/devices/system/cpu/online").Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var ends = part.Split('-');
                count += ends.Length == 2 ? int.Parse(ends[1]) - int.Parse(ends[0]) + 1 : 1;
            }
            return count > 0 ? count : fallback;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return fallback;
        }
    }

    private static bool Has(string name) => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name));

    private static int? Number(string name) => int.TryParse(Environment.GetEnvironmentVariable(name), out int n) && n > 0 ? n : null;
}

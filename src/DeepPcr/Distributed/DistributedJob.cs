using DeepPcr.Linear;
using DeepPcr.Mpi;
using TorchSharp;

namespace DeepPcr.Distributed;

/// <summary>
/// One rank's part of a distributed job: starts MPI, bounds this rank's threads to the cores divided by the ranks on
/// its machine (so 4 ranks on 2 cores do not run 8 threads), runs the body, and when the body fails on any rank,
/// writes which rank failed and why to stderr and aborts the whole job (MPI_Abort), so the other ranks, which may be
/// waiting for this one inside an exchange, end too instead of hanging.
/// </summary>
public static class DistributedJob
{
    /// <summary>Runs <paramref name="body"/> on this rank and returns its exit code.</summary>
    /// <param name="body">The rank's work, given the group of all ranks; returns the exit code.</param>
    /// <param name="describe">The exit code and one-line message of a failure.</param>
    /// <param name="error">Where a failure is reported (stderr).</param>
    /// <exception cref="MpiUnavailableException">Not under mpirun, or no Open MPI (before any rank has started work).</exception>
    public static int Run(Func<RankGroup, int> body, Func<Exception, (int Code, string Message)> describe, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(describe);
        RankConsole.PreferPlainOutput();
        var world = MpiWorld.Start();
        int threads = MpiLaunch.ThreadsPerRank(HostThreads.Cores, world.Size);
        HostThreads.Limit = threads;
        torch.set_num_threads(threads);
        try
        {
            return body(RankGroup.Mpi(world));
        }
        catch (Exception e)
        {
            var (code, message) = describe(e);
            error.WriteLine($"error: rank {world.Rank} of {world.Size} failed: {message}; aborting the job (exit code {code}).");
            error.Flush();
            world.Abort(code);
            return code;
        }
    }
}

namespace DeepPcr.Mpi.Tests;

/// <summary>A rank that fails ends the whole job with a message that names it, and nothing hangs.</summary>
public sealed class FailureTests
{
    [SkippableFact]
    public void ARankThatFailsAbortsTheJob()
    {
        Skip.If(MpiJob.Mpirun is null, MpiJob.NoMpirun);
        // L = 9 over 3 ranks: steps 3..5 are rank 1's; step 4 throws when rank 1 evaluates it, while ranks 0 and 2
        // wait for rank 1 inside an exchange.
        var job = MpiJob.Launch(3, "DeepPcr.MpiCheck.dll", new[] { "fail:9:3:2:4" }, TimeSpan.FromMinutes(4));
        Assert.False(job.TimedOut, "the job hung after a rank failed");
        Assert.NotEqual(0, job.ExitCode);
        Assert.Contains("rank 1 of 3 failed: step 4 failed on purpose", job.Error);
        Assert.Contains("aborting the job", job.Error);
        Assert.Empty(job.JsonLines);
    }
}

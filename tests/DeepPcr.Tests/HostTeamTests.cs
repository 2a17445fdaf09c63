using DeepPcr.Linear.Kernels;

namespace DeepPcr.Tests;

/// <summary>
/// The host kernels' worker team: every part of a job runs exactly once, job after job, also after the workers have
/// fallen asleep, and a part's exception reaches the caller. (The first-job race that hung the suite, a worker reading
/// the job counter only once it ran, depended on thread start-up timing that a test cannot force; the README example
/// test, the first batched solve in its process when run alone, hung on it every time.)
/// </summary>
public class HostTeamTests
{
    private sealed class Counts(int parts)
    {
        public readonly int[] Runs = new int[parts];
        public int Parts = -1;
    }

    private readonly struct CountingJob(Counts counts) : ITeamJob
    {
        public void Run(int part, int parts)
        {
            Interlocked.Increment(ref counts.Runs[part]);
            counts.Parts = parts;
        }
    }

    private readonly struct FailingJob : ITeamJob
    {
        public void Run(int part, int parts)
        {
            if (part == parts - 1) throw new InvalidOperationException("part failed");
        }
    }

    [Fact]
    public void EveryPartRunsOncePerJob()
    {
        RunJobs(200);
    }

    private static void RunJobs(int jobs)
    {
        for (int job = 0; job < jobs; job++)
        {
            var counts = new Counts(HostTeam.Size);
            var run = Task.Run(() => HostTeam.Run(new CountingJob(counts)));
            Assert.True(run.Wait(TimeSpan.FromSeconds(30)), $"job {job} did not finish");
            Assert.All(counts.Runs, r => Assert.Equal(1, r));
            Assert.Equal(HostTeam.Size, counts.Parts);
            if (job % 50 == 49) Thread.Sleep(2 * HostTeam.SpinMicroseconds / 1000 + 5); // let the workers fall asleep
        }
    }

    [Fact]
    public void APartsExceptionReachesTheCaller()
    {
        var error = Assert.ThrowsAny<Exception>(() => HostTeam.Run(new FailingJob()));
        var inner = error is AggregateException aggregate ? aggregate.InnerException : error;
        Assert.IsType<InvalidOperationException>(inner);
        var counts = new Counts(HostTeam.Size);
        HostTeam.Run(new CountingJob(counts)); // the team still works afterwards
        Assert.All(counts.Runs, r => Assert.Equal(1, r));
    }
}

using System.Diagnostics;

namespace DeepPcr.Linear.Kernels;

/// <summary>
/// One piece of work split into parts that run at once on <see cref="HostTeam"/>.
/// </summary>
internal interface ITeamJob
{
    /// <summary>Runs part <paramref name="part"/> of <paramref name="parts"/>.</summary>
    void Run(int part, int parts);
}

/// <summary>
/// A team of worker threads, one per core beside the caller, for the host kernels' rounds: a PCR round on a
/// 2-core machine lasts 20-200 microseconds, about what the thread pool takes to wake a sleeping thread, so
/// <see cref="Parallel.For(int, int, Action{int})"/> often cost more than it saved. The workers spin for
/// <see cref="SpinMicroseconds"/> after each job (the next round of a solve arrives well within that) and then
/// sleep on a monitor. One job runs at a time; a caller that finds the team busy (another thread's solve) runs its
/// parts itself, one after another. No allocation per job.
/// </summary>
internal static class HostTeam
{
    /// <summary>How long an idle worker spins before it sleeps.</summary>
    public const int SpinMicroseconds = 200;

    /// <summary>Worker threads plus the caller: the cores (at most 64).</summary>
    public static int Size { get; } = Math.Clamp(Environment.ProcessorCount, 1, 64);

    /// <summary>The parts a job is split into now: <see cref="HostThreads.Limit"/>, at most <see cref="Size"/>.</summary>
    public static int Parts => Math.Min(Size, HostThreads.Limit);

    private static readonly object Gate = new();
    private static readonly object Sleep = new();
    private static Action<int, int>? current;
    private static int currentParts;
    private static int generation;
    private static int pending;
    private static int sleeping;
    private static Exception? failure;
    private static bool started;

    /// <summary>
    /// Runs <paramref name="job"/>'s parts 0..<see cref="Parts"/>-1, part 0 on the calling thread, and returns when all
    /// have finished; the first exception of any part is rethrown here. Workers beyond <see cref="Parts"/> stay idle.
    /// </summary>
    public static void Run<TJob>(TJob job) where TJob : ITeamJob
    {
        int parts = Parts;
        if (parts == 1 || !Monitor.TryEnter(Gate))
        {
            for (int p = 0; p < parts; p++) job.Run(p, parts);
            return;
        }
        try
        {
            EnsureStarted();
            Slot<TJob>.Job = job;
            current = Slot<TJob>.Runner;
            currentParts = parts;
            failure = null;
            Volatile.Write(ref pending, Size - 1);
            Interlocked.Increment(ref generation);
            if (Volatile.Read(ref sleeping) > 0)
            {
                lock (Sleep) Monitor.PulseAll(Sleep);
            }
            try
            {
                job.Run(0, parts);
            }
            finally
            {
                var wait = new SpinWait();
                while (Volatile.Read(ref pending) > 0) wait.SpinOnce(sleep1Threshold: -1);
                Slot<TJob>.Job = default!;
            }
            if (failure is not null) throw new AggregateException("A part of a host kernel job failed.", failure);
        }
        finally
        {
            Monitor.Exit(Gate);
        }
    }

    private static void EnsureStarted()
    {
        if (started) return;
        // The workers wait for the generation after the one read here: a worker that read it only once started
        // could miss the first job, published before it ran, and the caller would wait for it for ever.
        int seen = Volatile.Read(ref generation);
        for (int i = 1; i < Size; i++)
        {
            int index = i;
            new Thread(() => Work(index, seen)) { IsBackground = true, Name = $"DeepPcr host kernel {index}" }.Start();
        }
        started = true;
    }

    private static void Work(int index, int seen)
    {
        long spinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;
        while (true)
        {
            long since = Stopwatch.GetTimestamp();
            while (Volatile.Read(ref generation) == seen)
            {
                if (Stopwatch.GetTimestamp() - since < spinTicks)
                {
                    Thread.SpinWait(16);
                    continue;
                }
                lock (Sleep)
                {
                    Interlocked.Increment(ref sleeping);
                    while (Volatile.Read(ref generation) == seen) Monitor.Wait(Sleep);
                    Interlocked.Decrement(ref sleeping);
                }
            }
            seen = Volatile.Read(ref generation);
            try
            {
                if (index < currentParts) current!(index, currentParts);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, e, null);
            }
            Interlocked.Decrement(ref pending);
        }
    }

    /// <summary>The job of type TJob in flight and a cached delegate that runs it (no allocation per job).</summary>
    private static class Slot<TJob> where TJob : ITeamJob
    {
        public static TJob Job = default!;
        public static readonly Action<int, int> Runner = (part, parts) => Job.Run(part, parts);
    }
}

using System.Diagnostics;
using DeepPcr.Linear;
using TorchSharp;

namespace DeepPcr.Cli.Measuring;

/// <summary>
/// The one measuring harness of every benchmark command (docs/design.md section 4): warm-up, interleaved
/// repetitions (each repetition runs every case once, in its own seeded random order, so that no case always
/// follows the same other case and inherits the caches, the branch predictors and the idle threads that one left),
/// medians, and per-case thread settings that bound TorchSharp's intra-op threads and the
/// host kernels' threads (<see cref="HostThreads"/>) alike. Processes that use it are
/// compiled without tiered JIT (see <see cref="Provenance.Jit"/>).
/// Each sample of a case under <see cref="LeadInMaxMs"/> begins with an untimed lead-in of <see cref="LeadInMs"/> of
/// the same case. A case faster than <see cref="MinSampleMs"/> runs back to back within each sample, as many times as
/// fill it (sized by one more untimed call after the warm-up), and the sample is the mean call: timed one call at a time, a
/// pass of tens of microseconds measured mostly the caches and branch predictors the previous case had left cold, and
/// cases that call into libtorch paid that more than pure managed loops did.
/// </summary>
public static class Harness
{
    /// <summary>The repetitions to use when none are given: 7 (at least 5 for runs under 10 s).</summary>
    public const int DefaultRepeats = 7;

    /// <summary>The shortest sample: cases faster than this repeat back to back within one sample. 10 ms since
    /// 2026-12-06 (1 ms before): a 1 ms sample of a 0.1 ms pass still held its cold first call at one part in eight,
    /// and a burst of the host's neighbours could fill most of it (docs/measuring.md).</summary>
    public const double MinSampleMs = 10.0;

    /// <summary>
    /// The untimed lead-in before each sample: the case runs for this long (at least one call) before its timed calls,
    /// so that it is timed in the state it leaves itself, not in the one its predecessor left. On this 2-core VM a
    /// two-threaded case that followed a one-threaded one ran up to a third slower for several milliseconds (its second
    /// core, idle before, seemingly slow to come up to speed): the tiled PCR round at L = 1024, B = 4 measured 72 GFLOP/s without a lead-in and 112-113
    /// with 5 ms, in random orders (docs/measuring.md).
    /// </summary>
    public const double LeadInMs = 5.0;

    /// <summary>Cases whose one call takes this long or more get no lead-in: a predecessor's few milliseconds are a
    /// small share of them.</summary>
    public const double LeadInMaxMs = 100.0;

    /// <summary>The most calls one sample makes.</summary>
    public const int MaxCallsPerSample = 1000;

    /// <summary>The seed of the repetitions' orders: the same cases run in the same orders in every run.</summary>
    public const int OrderSeed = 21;

    /// <summary>Times every case; returns one <see cref="Timing"/> per case in the given order.</summary>
    /// <param name="cases">Cases with distinct labels.</param>
    /// <param name="warmup">Untimed runs of every case first.</param>
    /// <param name="repeats">Timed runs of every case.</param>
    /// <param name="progress">Called after each repetition with (done, total), or null.</param>
    public static IReadOnlyList<Timing> Measure(
        IReadOnlyList<BenchCase> cases, int warmup = 1, int repeats = DefaultRepeats, Action<int, int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(cases);
        if (cases.Count == 0) throw new ArgumentException("No cases to measure.", nameof(cases));
        ArgumentOutOfRangeException.ThrowIfNegative(warmup);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        var duplicate = cases.GroupBy(c => c.Label).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Two cases are labelled '{duplicate.Key}'.", nameof(cases));

        for (int w = 0; w < warmup; w++)
        {
            foreach (var c in cases) RunOnce(c, 1, 0);
        }
        var sizing = cases.Select(c => RunOnce(c, 1, 0)).ToArray();
        var calls = sizing.Select(CallsPerSample).ToArray();
        var leadIn = sizing.Select(LeadInCalls).ToArray();
        var samples = cases.Select(_ => new List<double>(repeats)).ToArray();
        int done = 0;
        foreach (var order in Orders(cases.Count, repeats))
        {
            foreach (int index in order) samples[index].Add(RunOnce(cases[index], calls[index], leadIn[index]));
            progress?.Invoke(++done, repeats);
        }
        return cases.Select((c, i) => new Timing(c.Label, samples[i])).ToArray();
    }

    /// <summary>
    /// The order of each repetition: a seeded random permutation of the case indices. (A rotation by one each
    /// repetition, used until 2026-12-06, kept every case right behind the same predecessor whenever it was not first:
    /// in `mlp` the fused backward always followed DeepPCR on 2 threads and auto always followed the C reference.)
    /// </summary>
    /// <param name="count">The number of cases.</param>
    /// <param name="repeats">The number of repetitions.</param>
    public static IEnumerable<int[]> Orders(int count, int repeats)
    {
        var random = new Random(OrderSeed);
        for (int r = 0; r < repeats; r++)
        {
            var order = Enumerable.Range(0, count).ToArray();
            random.Shuffle(order);
            yield return order;
        }
    }

    /// <summary>The timing with the smallest median among those whose label is in <paramref name="labels"/>.</summary>
    public static Timing Best(IEnumerable<Timing> timings, params string[] labels) =>
        timings.Where(t => labels.Contains(t.Label)).MinBy(t => t.MedianMs)
        ?? throw new ArgumentException($"No timing labelled {string.Join(" or ", labels)}.", nameof(labels));

    /// <summary>The calls per sample for a case whose one call took <paramref name="oneCallMs"/>.</summary>
    public static int CallsPerSample(double oneCallMs) =>
        oneCallMs >= MinSampleMs ? 1 : (int)Math.Min(MaxCallsPerSample, Math.Ceiling(MinSampleMs / Math.Max(oneCallMs, 1e-6)));

    /// <summary>The untimed calls before each sample of a case whose one call took <paramref name="oneCallMs"/>: as
    /// many as fill <see cref="LeadInMs"/> (at least one), none for calls of <see cref="LeadInMaxMs"/> or more.</summary>
    public static int LeadInCalls(double oneCallMs) =>
        oneCallMs >= LeadInMaxMs ? 0 : (int)Math.Min(MaxCallsPerSample, Math.Max(1, Math.Ceiling(LeadInMs / Math.Max(oneCallMs, 1e-6))));

    /// <summary>The mean of <paramref name="calls"/> back-to-back calls after <paramref name="leadIn"/> untimed ones, in milliseconds.</summary>
    private static double RunOnce(BenchCase benchCase, int calls, int leadIn)
    {
        int previous = torch.get_num_threads(), previousHost = HostThreads.Limit;
        if (benchCase.Threads is int threads)
        {
            torch.set_num_threads(threads);
            HostThreads.Limit = threads;
        }
        try
        {
            for (int call = 0; call < leadIn; call++) benchCase.Run();
            // Raw timestamps: TimeSpan would round to 0.1 microseconds, coarse for the fused loops at small sizes.
            long start = Stopwatch.GetTimestamp();
            for (int call = 0; call < calls; call++) benchCase.Run();
            return (Stopwatch.GetTimestamp() - start) * 1000.0 / Stopwatch.Frequency / calls;
        }
        finally
        {
            if (benchCase.Threads is not null)
            {
                torch.set_num_threads(previous);
                HostThreads.Limit = previousHost;
            }
        }
    }
}

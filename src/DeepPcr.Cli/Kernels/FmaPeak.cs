using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepPcr.Cli.Kernels;

/// <summary>
/// The machine's measured float32 FMA peak: every core runs 8 independent Vector256 fused multiply-add chains
/// (enough to cover the FMA latency), and the theoretical peak from the clock for comparison.
/// </summary>
public static class FmaPeak
{
    /// <summary>Measured GFLOP/s over all cores (2 flops per FMA lane), or null without AVX2 FMA.</summary>
    public static double? Measure(long iterations = 5_000_000)
    {
        if (!Fma.IsSupported || !Avx.IsSupported) return null;
        return OnAllCores(Run, lanes: 8, iterations);
    }

    /// <summary>
    /// As <see cref="Measure"/> with Vector512 (AVX-512) chains, or null where Vector512 is not accelerated: the
    /// peak of the widest vectors this CPU offers.
    /// </summary>
    public static double? Measure512(long iterations = 5_000_000)
    {
        if (!Vector512.IsHardwareAccelerated) return null;
        return OnAllCores(Run512, lanes: 16, iterations);
    }

    /// <summary>
    /// Trials of the peak measurement, each about 5 ms; the best counts, since a peak is what the cores can reach: a
    /// shared virtual machine's neighbours took up to half of it away in single trials, in bursts, and 5 trials of
    /// 20 ms each missed the quiet moments that many short ones find.
    /// </summary>
    public const int Trials = 25;

    /// <summary>
    /// GFLOP/s of <paramref name="run"/> (8 FMA chains of <paramref name="lanes"/> float lanes per iteration) on every
    /// core at once, after a short warm-up, best of <see cref="Trials"/>; the runs' results are kept so that the loops
    /// are not optimised away.
    /// </summary>
    private static double OnAllCores(Func<long, float> run, int lanes, long iterations)
    {
        int threads = Environment.ProcessorCount;
        run(1000);
        double best = 0;
        var sink = new float[threads];
        for (int trial = 0; trial < Trials; trial++)
        {
            var watch = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t => sink[t] += run(iterations));
            best = Math.Max(best, threads * iterations * 8.0 * lanes * 2 / watch.Elapsed.TotalSeconds / 1e9);
        }
        return best + (sink.Sum() == float.NaN ? 1 : 0);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Run512(long iterations)
    {
        var a = Vector512.Create(0.999f);
        var b = Vector512.Create(1e-7f);
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        for (long i = 0; i < iterations; i++)
        {
            s0 = Vector512.FusedMultiplyAdd(s0, a, b); s1 = Vector512.FusedMultiplyAdd(s1, a, b); s2 = Vector512.FusedMultiplyAdd(s2, a, b); s3 = Vector512.FusedMultiplyAdd(s3, a, b);
            s4 = Vector512.FusedMultiplyAdd(s4, a, b); s5 = Vector512.FusedMultiplyAdd(s5, a, b); s6 = Vector512.FusedMultiplyAdd(s6, a, b); s7 = Vector512.FusedMultiplyAdd(s7, a, b);
        }
        return Vector512.Sum(s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7);
    }

    /// <summary>
    /// cores x 2 FMA units x <paramref name="lanes"/> float lanes (8 for Vector256, 16 for Vector512) x 2 flops x the
    /// clock in /proc/cpuinfo, or null when it is not readable. The clock there is the nominal one: a core that boosts
    /// above it measures more than this.
    /// </summary>
    public static double? Theoretical(int lanes = 8)
    {
        if (!File.Exists("/proc/cpuinfo")) return null;
        var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("cpu MHz"));
        if (line is null || !double.TryParse(line.Split(':')[1].Trim(), System.Globalization.CultureInfo.InvariantCulture, out double mhz)) return null;
        return Environment.ProcessorCount * 2 * lanes * 2 * mhz / 1000;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Run(long iterations)
    {
        var a = Vector256.Create(0.999f);
        var b = Vector256.Create(1e-7f);
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        for (long i = 0; i < iterations; i++)
        {
            s0 = Fma.MultiplyAdd(s0, a, b); s1 = Fma.MultiplyAdd(s1, a, b); s2 = Fma.MultiplyAdd(s2, a, b); s3 = Fma.MultiplyAdd(s3, a, b);
            s4 = Fma.MultiplyAdd(s4, a, b); s5 = Fma.MultiplyAdd(s5, a, b); s6 = Fma.MultiplyAdd(s6, a, b); s7 = Fma.MultiplyAdd(s7, a, b);
        }
        var total = s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
        return Vector256.Sum(total);
    }
}

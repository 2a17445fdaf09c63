using DeepPcr.Cli.Measuring;
using DeepPcr.Linear;

namespace DeepPcr.Cli.Mlp;

/// <summary>
/// A method timed once per thread count, the count bounding TorchSharp and the host kernels alike
/// (<see cref="Harness"/>): labels <c>{label}_{n}t</c>, and the best of them with the count that gave it.
/// </summary>
public static class ThreadedCases
{
    /// <summary>The thread counts tried: 1 and every core (on a 2-core machine, 1 and 2).</summary>
    public static IReadOnlyList<int> Counts { get; } = new[] { 1, HostThreads.Cores }.Distinct().ToArray();

    /// <summary>One case per count in <see cref="Counts"/> (or in <paramref name="counts"/>, for a method that knows it
    /// would run on fewer threads than some counts allow).</summary>
    public static IEnumerable<BenchCase> For(string label, Action run, IEnumerable<int>? counts = null) =>
        (counts ?? Counts).Select(threads => new BenchCase(Label(label, threads), run, threads));

    /// <summary>The label of the case with <paramref name="threads"/> threads.</summary>
    public static string Label(string label, int threads) => $"{label}_{threads}t";

    /// <summary>The median of the case with <paramref name="threads"/> threads.</summary>
    public static double Median(IReadOnlyList<Timing> timings, string label, int threads) =>
        timings.Single(t => t.Label == Label(label, threads)).MedianMs;

    /// <summary>The smallest median over the thread counts timed, and the count that gave it.</summary>
    public static (double Ms, int Threads) Best(IReadOnlyList<Timing> timings, string label) =>
        Counts.Where(threads => timings.Any(t => t.Label == Label(label, threads)))
            .Select(threads => (Median(timings, label, threads), threads)).MinBy(p => p.Item1);
}

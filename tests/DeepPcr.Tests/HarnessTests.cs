using System.Text.Json.Nodes;
using DeepPcr.Cli.Measuring;

namespace DeepPcr.Tests;

[Collection(HostThreadsCollection.Name)]
public class HarnessTests
{
    [Fact]
    public void ACaseThreadCountBoundsTorchAndTheHostKernelsAlikeAndIsRestored()
    {
        int torchBefore = TorchSharp.torch.get_num_threads(), hostBefore = DeepPcr.Linear.HostThreads.Limit;
        var seen = new List<(int Torch, int Host)>();
        Harness.Measure(new[] { new BenchCase("one", () => seen.Add((TorchSharp.torch.get_num_threads(), DeepPcr.Linear.HostThreads.Limit)), Threads: 1) },
            warmup: 0, repeats: 2);
        Assert.All(seen, s => Assert.Equal((1, 1), s));
        Assert.Equal(torchBefore, TorchSharp.torch.get_num_threads());
        Assert.Equal(hostBefore, DeepPcr.Linear.HostThreads.Limit);
    }

    [Fact]
    public void MedianOfOddAndEvenCounts()
    {
        Assert.Equal(3.0, Timing.Median(new[] { 5.0, 1.0, 3.0 }));
        Assert.Equal(2.5, Timing.Median(new[] { 4.0, 1.0, 2.0, 3.0 }));
        Assert.Throws<ArgumentException>(() => Timing.Median(Array.Empty<double>()));
    }

    [Fact]
    public void RepetitionsAreInterleavedInSeededOrders()
    {
        var order = new List<string>();
        // Each call spins past the shortest sample, so every sample is one call.
        var cases = new[] { "a", "b", "c", "d" }.Select(l => new BenchCase(l, () => { order.Add(l); Spin(Harness.MinSampleMs * 1.05); })).ToArray();
        var timings = Harness.Measure(cases, warmup: 1, repeats: 6);
        Assert.Equal(new[] { "a", "b", "c", "d" }, timings.Select(t => t.Label));
        Assert.All(timings, t => Assert.Equal(6, t.Samples.Count));
        // Warm-up and sizing in the given order, then each repetition runs every case once, in the seeded orders, each
        // sample after one untimed lead-in call (a call is longer than the lead-in).
        Assert.Equal("abcdabcd", string.Concat(order.Take(8)));
        var expected = Harness.Orders(4, 6).SelectMany(o => o.SelectMany(i => new[] { "abcd"[i], "abcd"[i] })).ToArray();
        Assert.Equal(new string(expected), string.Concat(order.Skip(8)));
    }

    [Fact]
    public void SeededOrdersArePermutationsAndGiveEveryCaseMoreThanOnePredecessor()
    {
        var orders = Harness.Orders(12, 7).ToArray();
        Assert.Equal(7, orders.Length);
        Assert.All(orders, o => Assert.Equal(Enumerable.Range(0, 12), o.Order()));
        // The same orders in every run.
        Assert.Equal(orders, Harness.Orders(12, 7).ToArray());
        // A rotation would put every case behind the same predecessor whenever it is not first.
        for (int c = 0; c < 12; c++)
        {
            var distinct = orders.Where(o => Array.IndexOf(o, c) > 0).Select(o => o[Array.IndexOf(o, c) - 1]).Distinct().Count();
            Assert.True(distinct > 1, $"case {c} always follows the same case");
        }
    }

    [Fact]
    public void AFastCaseRunsBackToBackWithinEachSampleAndReportsTheMeanCall()
    {
        int calls = 0;
        var timings = Harness.Measure(new[] { new BenchCase("fast", () => { calls++; Spin(0.05); }) }, warmup: 1, repeats: 3);
        // One warm-up and one sizing call, then 3 samples of the same j = ceil(5 ms / the sizing call) untimed lead-in
        // calls and k = ceil(10 ms / the sizing call) timed calls each: j + k <= 100 + 200 as the call takes at least
        // 0.05 ms (fewer when the sizing call was descheduled).
        Assert.Equal(0, (calls - 2) % 3);
        Assert.InRange((calls - 2) / 3, 2, (int)Math.Ceiling(Harness.LeadInMs / 0.05) + (int)Math.Ceiling(Harness.MinSampleMs / 0.05));
        Assert.All(timings[0].Samples, ms => Assert.True(ms >= 0.05, $"a sample of {ms} ms is not the mean of 0.05 ms calls"));
    }

    [Fact]
    public void LeadInFillsItsTimeWithAtLeastOneCallAndSkipsLongCalls()
    {
        Assert.Equal(1, Harness.LeadInCalls(Harness.LeadInMs * 2));
        Assert.Equal(1, Harness.LeadInCalls(Harness.LeadInMaxMs / 2));
        Assert.Equal(0, Harness.LeadInCalls(Harness.LeadInMaxMs));
        Assert.Equal(5, Harness.LeadInCalls(Harness.LeadInMs / 5));
        Assert.Equal(Harness.MaxCallsPerSample, Harness.LeadInCalls(0.0));
    }

    [Fact]
    public void TheJsonWarmupTextStatesTheHarnessAsItIs()
    {
        string text = Warmup.Harness;
        Assert.Contains("seeded random order", text);
        Assert.Contains($"under {Harness.LeadInMaxMs.ToString(System.Globalization.CultureInfo.InvariantCulture)} ms begins with {Harness.LeadInMs.ToString(System.Globalization.CultureInfo.InvariantCulture)} ms", text);
        Assert.Contains($"fills {Harness.MinSampleMs.ToString(System.Globalization.CultureInfo.InvariantCulture)} ms", text);
        Assert.DoesNotContain("1 ms", text);
    }

    [Fact]
    public void CallsPerSampleFillTheShortestSample()
    {
        Assert.Equal(1, Harness.CallsPerSample(Harness.MinSampleMs));
        Assert.Equal(1, Harness.CallsPerSample(250.0));
        Assert.Equal(4, Harness.CallsPerSample(Harness.MinSampleMs / 4));
        Assert.Equal(Harness.MaxCallsPerSample, Harness.CallsPerSample(0.0));
    }

    private static void Spin(double ms)
    {
        long end = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(ms * System.Diagnostics.Stopwatch.Frequency / 1000.0);
        while (System.Diagnostics.Stopwatch.GetTimestamp() < end)
        {
        }
    }

    [Fact]
    public void BestPicksTheSmallestMedian()
    {
        var timings = new[] { new Timing("t1", new[] { 3.0, 4.0, 5.0 }), new Timing("t2", new[] { 1.0, 2.0, 9.0 }), new Timing("x", new[] { 0.1 }) };
        Assert.Equal("t2", Harness.Best(timings, "t1", "t2").Label);
        Assert.Throws<ArgumentException>(() => Harness.Best(timings, "missing"));
    }

    [Fact]
    public void DuplicateLabelsAreRejected() =>
        Assert.Throws<ArgumentException>(() => Harness.Measure(new[] { new BenchCase("a", () => { }), new BenchCase("a", () => { }) }));

    [Fact]
    public void EnvelopeHoldsProvenanceOnly()
    {
        JsonObject envelope = Provenance.Envelope("float64", "1", new[] { "demo", "--json" });
        Assert.Equal(new[] { "dtype", "threads", "jit", "machine", "git_sha", "command" }, envelope.Select(p => p.Key));
        Assert.Equal("deeppcr demo --json", (string?)envelope["command"]);
        Assert.Contains((string?)envelope["jit"], new[] { "optimized", "tiered" });
    }
}

using System.Diagnostics;
using DeepPcr.Gpu.Engine;
using ILGPU.Runtime;

namespace DeepPcr.GpuBench.Measuring;

/// <summary>One timed case: a label and an action that queues its work on the device's stream (it may wait inside).</summary>
/// <param name="Label">The JSON label (<c>&lt;label&gt;_ms</c>).</param>
/// <param name="Run">Queues the case once; the harness synchronises after it.</param>
public sealed record TimedCase(string Label, Action Run);

/// <summary>A case's medians: host wall clock and, where the stream gives profiling markers, device time.</summary>
/// <param name="WallMs">Median host time from before the case to after the device finished it.</param>
/// <param name="DeviceMs">Median time between a stream marker (a CUDA event) before the case and one after it, or null.</param>
public sealed record CaseTiming(double WallMs, double? DeviceMs);

/// <summary>
/// The measuring harness of docs/measuring.md for device work: every case once untimed (warm-up: first launches),
/// then repetitions in which every case runs once in an order rotated by one each repetition, and medians. Each
/// run is timed two ways: by the host clock from before the case until the device has finished it (the figure
/// speed-ups use: it counts launch overheads and the host round-trips DeepPCR's stopping test needs), and by
/// stream markers placed before and after the case (CUDA events on a GPU: the device's timeline, which for
/// launch-bound work also shows the gaps between launches).
/// </summary>
public static class Interleaved
{
    /// <summary>Times the cases.</summary>
    /// <param name="device">The device whose stream the cases use.</param>
    /// <param name="cases">Cases with distinct labels.</param>
    /// <param name="repeats">Timed repetitions (at least 1).</param>
    /// <returns>The medians per label.</returns>
    public static IReadOnlyDictionary<string, CaseTiming> Medians(GpuDevice device, IReadOnlyList<TimedCase> cases, int repeats)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(cases);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        foreach (var c in cases)
        {
            c.Run();
            device.Synchronize();
        }
        var wall = cases.ToDictionary(c => c.Label, _ => new List<double>(repeats));
        var onDevice = cases.ToDictionary(c => c.Label, _ => new List<double>(repeats));
        for (int r = 0; r < repeats; r++)
        {
            for (int i = 0; i < cases.Count; i++)
            {
                var c = cases[(i + r) % cases.Count];
                var (wallMs, deviceMs) = Once(device, c);
                wall[c.Label].Add(wallMs);
                if (deviceMs is double d) onDevice[c.Label].Add(d);
            }
        }
        return cases.ToDictionary(
            c => c.Label,
            c => new CaseTiming(Median(wall[c.Label]), onDevice[c.Label].Count == repeats ? Median(onDevice[c.Label]) : null));
    }

    private static (double WallMs, double? DeviceMs) Once(GpuDevice device, TimedCase c)
    {
        ProfilingMarker? start = TryMarker(device);
        long t0 = Stopwatch.GetTimestamp();
        c.Run();
        ProfilingMarker? end = start is null ? null : TryMarker(device);
        device.Synchronize();
        double wallMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        double? deviceMs = null;
        if (start is not null && end is not null)
        {
            try
            {
                deviceMs = end.MeasureFrom(start).TotalMilliseconds;
            }
            catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException)
            {
                deviceMs = null;
            }
        }
        start?.Dispose();
        end?.Dispose();
        return (wallMs, deviceMs);
    }

    private static ProfilingMarker? TryMarker(GpuDevice device)
    {
        try
        {
            return device.Stream.AddProfilingMarker();
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The median (mean of the middle two for an even count).</summary>
    /// <param name="values">At least one value.</param>
    /// <returns>The median.</returns>
    public static double Median(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("No values.", nameof(values));
        var sorted = values.Order().ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
    }
}

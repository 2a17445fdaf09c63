using System.Diagnostics;
using System.Runtime.CompilerServices;
using DeepPcr.Chains;
using static TorchSharp.torch;

namespace DeepPcr.Backward;

/// <summary>
/// The backward half of "auto": on the first backward pass of a step for a (batch, dtype, device), both solves of the
/// reversed chain run three times on the real cotangents, interleaved (the first round also pays the JIT), and the faster
/// by its best time is kept for every later call. Both answers are exact, so the calibration costs time, never accuracy; <see cref="Calibrated"/> says that it
/// happened so that a benchmark can report the first call on its own.
/// </summary>
public static class AdjointChoice
{
    private static readonly ConditionalWeakTable<IChainStep, Dictionary<(long, ScalarType, string, bool), AdjointMethod>> choices = new();

    /// <summary>Raised with the chosen method and the two best times (ms) when a calibration ran.</summary>
    public static event Action<IChainStep, AdjointMethod, double, double>? Calibrated;

    /// <summary>The method chosen for this step and input, or null before the first calibration.</summary>
    /// <param name="step">The chain.</param>
    /// <param name="input">(B, w): z_0.</param>
    /// <param name="fromStates">For the backward pass from the sequential pass's states (no Jacobian) rather than the
    /// pass over the Jacobians: the two are calibrated apart.</param>
    public static AdjointMethod? Known(IChainStep step, Tensor input, bool fromStates = false)
    {
        var known = choices.GetOrCreateValue(step);
        lock (known) return known.TryGetValue(Key(input, fromStates), out var method) ? method : null;
    }

    /// <summary>Runs both solves, keeps the faster's method for later calls, and returns the last solution.</summary>
    internal static AdjointSolution Calibrate(IChainStep step, Func<AdjointMethod, AdjointSolution> solve, Tensor input, bool fromStates = false)
    {
        double parallel = double.PositiveInfinity, sequential = double.PositiveInfinity;
        AdjointSolution? last = null;
        for (int round = 0; round < 3; round++)
        {
            foreach (var method in new[] { AdjointMethod.Sequential, AdjointMethod.Parallel })
            {
                last?.Dispose();
                var watch = Stopwatch.StartNew();
                last = solve(method);
                double ms = watch.Elapsed.TotalMilliseconds;
                if (method == AdjointMethod.Parallel) parallel = Math.Min(parallel, ms);
                else sequential = Math.Min(sequential, ms);
            }
        }
        var chosen = parallel < sequential ? AdjointMethod.Parallel : AdjointMethod.Sequential;
        var known = choices.GetOrCreateValue(step);
        lock (known) known[Key(input, fromStates)] = chosen;
        Calibrated?.Invoke(step, chosen, parallel, sequential);
        return last!;
    }

    private static (long, ScalarType, string, bool) Key(Tensor input, bool fromStates) => (input.size(0), input.dtype, input.device.ToString(), fromStates);
}

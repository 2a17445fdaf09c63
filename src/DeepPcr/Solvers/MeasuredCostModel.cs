using System.Diagnostics;
using DeepPcr.Chains;
using DeepPcr.Engines;
using DeepPcr.Linear;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Solvers;

/// <summary>What <see cref="AutoSolver"/>'s decision rests on, in milliseconds.</summary>
/// <param name="SequentialMs">The sequential pass over all L steps.</param>
/// <param name="StepMs">One step evaluated alone.</param>
/// <param name="EvaluationMs">One batched evaluation with Jacobians of all steps (NaN for L = 1).</param>
/// <param name="PcrMs">One PCR solve (NaN for L = 1).</param>
public sealed record AutoCosts(double SequentialMs, double StepMs, double EvaluationMs, double PcrMs);

/// <summary>Predicts the costs of the sequential pass and of a Newton iteration for a step and input.</summary>
public interface IAutoCostModel
{
    /// <summary>The costs for this step and input (B, w).</summary>
    AutoCosts Measure(IChainStep step, Tensor input);
}

/// <summary>
/// The cost model calibrated on the step itself: it times sequential passes over 1 and up to 9 steps (a fixed cost plus
/// a cost per step, what the sequential pass repeats L times) and batched evaluations with Jacobians of 16 and 64 steps
/// (extrapolated to L: what every Newton iteration costs besides its PCR solve); PCR's cost comes from its flop count at
/// a rate measured once per process on the host kernel.
/// </summary>
public sealed class MeasuredCostModel : IAutoCostModel
{
    private static double? pcrNanosecondsPerFlop;

    /// <summary>The shared instance.</summary>
    public static MeasuredCostModel Instance { get; } = new();

    /// <inheritdoc />
    public AutoCosts Measure(IChainStep step, Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        int length = step.Length, batch = (int)input.size(0), width = step.Width;
        // The sequential pass: a fixed cost plus one per step, from passes over 1 and k steps.
        int k = Math.Min(length, 9);
        double one = TimeMs(() => SequentialPass.RunFrom(step, 0, 1, input), repeats: 2);
        double many = k == 1 ? one : TimeMs(() => SequentialPass.RunFrom(step, 0, k, input), repeats: 2);
        double perStep = k == 1 ? one : Math.Max((many - one) / (k - 1), many / k / 4);
        double sequential = Math.Max(0, one - perStep) + perStep * length;
        if (length < 2) return new AutoCosts(sequential, perStep, double.NaN, double.NaN);
        // One Newton iteration's evaluation and Jacobians: a fixed cost plus one per step, from 16 and 64 steps.
        double evaluation = Extrapolate(length, n => EvaluationMs(step, input, n));
        var structure = BlockStructure.Of(step);
        double flops = 0;
        for (int s = 1; s < length; s *= 2) flops += PcrRound.Flops(structure, s, length, batch, width);
        double pcr = flops * PcrNanosecondsPerFlop() / 1e6;
        return new AutoCosts(sequential, perStep, evaluation, pcr);
    }

    /// <summary>f(L) from a line through f(n1) and f(n2) with n1 = min(L, 16), n2 = min(L, 64).</summary>
    private static double Extrapolate(int length, Func<int, double> cost)
    {
        int n2 = Math.Min(length, 64), n1 = Math.Min(length, 16);
        double c2 = cost(n2);
        if (n1 == n2) return c2 * length / n2;
        double c1 = cost(n1);
        double slope = Math.Max((c2 - c1) / (n2 - n1), c2 / n2 / 4);
        return Math.Max(0, c2 - slope * n2) + slope * length;
    }

    /// <summary>Evaluation with Jacobians of n steps: the host engine's single pass where it applies, else the tensor path.</summary>
    private static double EvaluationMs(IChainStep step, Tensor input, int n)
    {
        if (EngineSelection.HostApplies(step, input)) return HostEvaluationMs((IHostChainStep)step, input, n);
        using var scope = torch.NewDisposeScope();
        var inputs = input.unsqueeze(0).expand(n, -1, -1).contiguous();
        return TimeMs(() =>
        {
            step.Evaluate(0, inputs);
            AutogradJacobian.Of(step, 0, inputs);
        }, repeats: 2);
    }

    private static double HostEvaluationMs(IHostChainStep step, Tensor input, int length) =>
        input.dtype == ScalarType.Float32 ? HostEvaluationMs<float>(step, (int)input.size(0), length) : HostEvaluationMs<double>(step, (int)input.size(0), length);

    /// <summary>One host evaluation with Jacobians of <paramref name="length"/> steps (zeros in, buffers made before timing).</summary>
    private static double HostEvaluationMs<T>(IHostChainStep step, int batch, int length) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        int rows = length * batch, width = step.Width;
        var inputs = new T[rows * width];
        var outputs = new T[rows * width];
        var jacobian = new T[width * width * rows];
        return TimeMs(() => step.EvaluateOnHost<T>(0, batch, inputs, outputs, jacobian, rows), repeats: 2);
    }

    /// <summary>The host PCR kernel's time per flop, measured once per process on a 256-step, width-8 dense solve.</summary>
    private static double PcrNanosecondsPerFlop()
    {
        if (pcrNanosecondsPerFlop is double known) return known;
        using var scope = torch.NewDisposeScope();
        var generator = new Generator(1);
        var recurrence = new LinearRecurrence(BlockStructure.Dense,
            torch.randn(new long[] { 256, 4, 8, 8 }, generator: generator) * 0.3,
            torch.randn(new long[] { 256, 4, 8 }, generator: generator), torch.zeros(4, 8));
        double ms = TimeMs(() => ParallelCyclicReduction.SolveOnHost(recurrence), repeats: 3);
        double flops = 0;
        for (int s = 1; s < 256; s *= 2) flops += PcrRound.Flops(BlockStructure.Dense, s, 256, 4, 8);
        pcrNanosecondsPerFlop = ms * 1e6 / flops;
        return pcrNanosecondsPerFlop.Value;
    }

    /// <summary>The fastest of a warm-up and <paramref name="repeats"/> timed runs, in milliseconds.</summary>
    private static double TimeMs(Action action, int repeats)
    {
        double best = double.PositiveInfinity;
        for (int i = 0; i <= repeats; i++)
        {
            using var scope = torch.NewDisposeScope();
            var watch = Stopwatch.StartNew();
            action();
            if (i > 0 || repeats == 0) best = Math.Min(best, watch.Elapsed.TotalMilliseconds);
        }
        return best;
    }
}

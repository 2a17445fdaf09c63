using DeepPcr.Chains;
using DeepPcr.Models.Mlp;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// The reported error estimate (<see cref="ChainSolution.FinalErrorEstimate"/>) of DeepPCR in windows, on the host and
/// the TorchSharp engines, against the true error: the largest difference over the whole chain from the float64
/// sequential pass. Criterion, with F = eps (of the solve's dtype) times max |z| (the rounding floor of one state):
/// true &lt;= 2 estimate + F (the estimate models the solve's own error against the exact chain; the float64
/// reference carries a rounding error of its own of the same kind, hence the factor 2), and estimate &lt;= 1e3 (true + F)
/// (not absurdly loose). Tanh MLPs of width 4, 2 samples: gain 0.9 contracts, gain 1.5 expands (at L = 1000 it is
/// chaotic: the windowed solve and the sequential pass part completely, and the estimate, held to twice the state's
/// scale, must say so).
/// </summary>
public class CarriedErrorTests
{
    public static TheoryData<bool, double, int, int, bool> Cases()
    {
        var data = new TheoryData<bool, double, int, int, bool>();
        foreach (bool torchEngine in new[] { false, true })
        foreach (double gain in new[] { 0.9, 1.5 })
        foreach (int length in new[] { 5, 48, 1000 })
        foreach (int window in new[] { 4, 8 })
        foreach (bool single in new[] { false, true })
        {
            data.Add(torchEngine, gain, length, window, single);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheFinalEstimateBoundsTheWholeChain(bool torchEngine, double gain, int length, int window, bool single)
    {
        using var scope = torch.NewDisposeScope();
        var (result, trueError, floor) = Solve(torchEngine, gain, length, window, single, null);
        Assert.Equal(torchEngine ? ChainEngine.Torch : ChainEngine.Host, result.Engine);
        Assert.Equal(Fallback.None, result.Fallback);
        Assert.Equal(length > window, result.Windowed);
        double estimate = result.FinalErrorEstimate;
        Assert.True(trueError <= 2 * estimate + floor, $"true error {trueError:g3} above 2 x estimate {estimate:g3} + floor {floor:g3}");
        Assert.True(estimate <= 1e3 * (trueError + floor), $"estimate {estimate:g3} above 1e3 x (true error {trueError:g3} + floor {floor:g3})");
    }

    /// <summary>The case that showed the defect: every window's last update was exactly 0, so the estimate carried
    /// nothing (it reported 8.9e-10 against a true error of 4.6e-7).</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AnExpansiveChainInWindowsReportsTheErrorItCarries(bool torchEngine)
    {
        using var scope = torch.NewDisposeScope();
        var (result, trueError, floor) = Solve(torchEngine, 1.5, 48, 8, false, 1e-6);
        Assert.True(result.Windowed);
        Assert.Equal(Termination.Converged, result.Termination);
        Assert.InRange(trueError, 1e-9, 1e-3); // the chain does amplify the windows' rounding
        Assert.InRange(result.FinalErrorEstimate, 0.5 * (trueError - floor), 1e3 * (trueError + floor));
    }

    /// <summary>The estimate is a report, not a stopping test: each window stops on its own error, so an expansive
    /// chain whose carried error exceeds the tolerance still converges window by window.</summary>
    [Fact]
    public void TheCarriedErrorDoesNotStopWindowsFromConverging()
    {
        using var scope = torch.NewDisposeScope();
        var (result, _, _) = Solve(false, 1.5, 1000, 8, true, null);
        Assert.Equal(Termination.Converged, result.Termination);
        double tolerance = 1e-6 + 1e-5 * Recurrences.MaxAbs(result.States); // float32 defaults, at the largest state
        Assert.True(result.FinalErrorEstimate > tolerance, $"estimate {result.FinalErrorEstimate:g3} not above the tolerance {tolerance:g3}");
    }

    /// <summary>Quasi-Newton holds no exact Jacobian: its error-bound scan carries the error from window to window.</summary>
    [Theory]
    [InlineData(0.9)]
    [InlineData(1.5)]
    public void QuasiNewtonInWindowsCarriesItsScan(double gain)
    {
        using var scope = torch.NewDisposeScope();
        var (result, trueError, floor) = Solve(false, gain, 48, 8, false, null, ParallelChainSolver.QuasiNewton(JacobianStructure.Diagonal));
        Assert.Equal(Fallback.None, result.Fallback);
        Assert.Equal(ChainMethod.QuasiNewtonDiagonal, result.Method);
        Assert.True(trueError <= 2 * result.FinalErrorEstimate + floor, $"true error {trueError:g3}, estimate {result.FinalErrorEstimate:g3}");
        Assert.True(result.FinalErrorEstimate <= 1e3 * (trueError + floor), $"true error {trueError:g3}, estimate {result.FinalErrorEstimate:g3}");
    }

    /// <summary>The probe on a chain whose Jacobians are known: z_l = 2 z_{l-1} in w = 2, carried error (c, -c), exact
    /// states (no rounding, eps = 0): x_l = 2^l (c, -c); the own error of the last state is then added.</summary>
    [Fact]
    public void TheProbePropagatesTheCarriedVectorThroughTheJacobians()
    {
        const int n = 5, width = 2;
        var states = new double[n * width];
        for (int l = 0; l < n; l++) (states[2 * l], states[2 * l + 1]) = (Math.Pow(2, l + 1), -Math.Pow(2, l + 1));
        var next = (double[])states.Clone();
        next[^2] += 1e-3; // the last state's own error: z' - z = (1e-3, 0)
        var carried = new Newton.CarriedError(new[] { 1e-4, -1e-4 }, 5e-4);
        var result = Newton.ErrorProbe.Propagate<double>(1, width, Double, states, next, 0.0, carried);
        Assert.Equal(Math.Max(32 * 1e-4 + 1e-3, 5e-4), result.Bound, 12);
        // s x - (z' - z): with s = +1 the own error would cancel part of x, so x is flipped and the two add.
        Assert.Equal(-32 * 1e-4 - 1e-3, result.Probe[0], 12);
        Assert.Equal(32 * 1e-4, result.Probe[1], 12);

        static void Double(long row, ReadOnlySpan<double> x, Span<double> y, Span<double> sums)
        {
            for (int i = 0; i < x.Length; i++) (y[i], sums[i]) = (2 * x[i], 0);
        }
    }

    /// <summary>
    /// The host and TorchSharp engines report the same estimate (the same probe over the Jacobians in the declared
    /// structure) up to their rounding: within a factor of 2, or both within 1e-14 max(1, |z|) (float64).
    /// </summary>
    internal static void AssertSameEstimate(ChainSolution host, ChainSolution torchEngine)
    {
        double a = host.FinalErrorEstimate, b = torchEngine.FinalErrorEstimate;
        double floor = 1e-14 * Math.Max(1.0, Recurrences.MaxAbs(host.States));
        Assert.True(double.IsFinite(a) && double.IsFinite(b), $"estimates {a:g3} (host) and {b:g3} (torch)");
        Assert.True(Math.Abs(a - b) <= 0.5 * Math.Max(a, b) + floor, $"estimates {a:g3} (host) and {b:g3} (torch)");
    }

    private static (ChainSolution Result, double TrueError, double Floor) Solve(
        bool torchEngine, double gain, int length, int window, bool single, double? tolerance, ParallelChainSolver? solver = null)
    {
        var chain64 = MlpChain.Random(length, 4, gain, Activation.Tanh, ScalarType.Float64, seed: 31);
        var input64 = torch.randn(new long[] { 2, 4 }, dtype: ScalarType.Float64, generator: new Generator(32));
        var reference = SequentialPass.Run(chain64, input64);
        var dtype = single ? ScalarType.Float32 : ScalarType.Float64;
        var chain = single ? chain64.To(ScalarType.Float32) : chain64;
        IChainStep step = torchEngine ? new TensorOnlyStep(chain) : chain;
        var options = new SolverOptions(Window: window, AbsoluteTolerance: tolerance, RelativeTolerance: tolerance);
        var result = (solver ?? ParallelChainSolver.DeepPcr).Solve(step, input64.to_type(dtype), options);
        double epsilon = single ? MathF.BitIncrement(1f) - 1f : Math.BitIncrement(1.0) - 1.0;
        double floor = epsilon * Recurrences.MaxAbs(reference);
        return (result, Recurrences.MaxAbsDiff(result.States, reference), floor);
    }
}

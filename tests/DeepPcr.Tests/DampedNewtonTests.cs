using DeepPcr.Linear;
using DeepPcr.Solvers;
using DeepPcr.Solvers.Globalization;
using DeepPcr.Newton;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>The damped Newton (Levenberg–Marquardt, "elk") method: the shared contract and its normal equations.</summary>
public class DampedNewtonTests : GlobalizedSolverContract
{
    protected override IChainSolver Solver => DampedNewtonSolver.Instance;

    protected override IChainSolver AlwaysDamped => new DampedNewtonSolver { Rule = new() { NewtonGrowth = 0 } };

    /// <summary>J (B, n w, n w): I on the diagonal, -A_l below it for l &gt;= 2 (0-based rows j &gt;= 1).</summary>
    private static Tensor DenseJacobian(Tensor a)
    {
        int n = (int)a.shape[0], batch = (int)a.shape[1], w = (int)a.shape[2];
        var j = torch.eye(n * w, dtype: a.dtype).expand(batch, n * w, n * w).clone();
        for (int l = 1; l < n; l++) j[.., TensorIndex.Slice(l * w, (l + 1) * w), TensorIndex.Slice((l - 1) * w, l * w)] = -a[l];
        return j;
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(6, 2)]
    [InlineData(33, 4)]
    public void TheStepSolvesTheNormalEquations(int length, int width)
    {
        using var scope = torch.NewDisposeScope();
        var g = new Generator(5);
        var a = torch.randn(new long[] { length, 2, width, width }, dtype: ScalarType.Float64, generator: g);
        var r = torch.randn(new long[] { length, 2, width }, dtype: ScalarType.Float64, generator: g);
        double[] lambda = { 0.3, 2.0 };
        var step = BlockTridiagonalPcr.Solve(NormalEquations.Build(a, r, lambda)).States;

        var j = DenseJacobian(a);
        var jt = j.transpose(-1, -2);
        var damping = torch.tensor(lambda, dtype: ScalarType.Float64).view(2, 1, 1) * torch.eye(length * width, dtype: ScalarType.Float64);
        var rhs = torch.matmul(jt, r.permute(1, 0, 2).reshape(2, -1, 1));
        var expected = torch.linalg.solve(torch.matmul(jt, j) + damping, rhs).reshape(2, length, width).permute(1, 0, 2);
        Assert.InRange(Recurrences.MaxAbsDiff(step, expected), 0.0, 1e-9 * Math.Max(1.0, Recurrences.MaxAbs(expected)));
    }

    [Fact]
    public void ZeroDampingIsTheNewtonCorrection()
    {
        using var scope = torch.NewDisposeScope();
        var g = new Generator(6);
        var a = torch.randn(new long[] { 40, 2, 3, 3 }, dtype: ScalarType.Float64, generator: g) * 0.5;
        var r = torch.randn(new long[] { 40, 2, 3 }, dtype: ScalarType.Float64, generator: g);
        var step = BlockTridiagonalPcr.Solve(NormalEquations.Build(a, r, new[] { 0.0, 0.0 })).States;
        var newton = ForwardSubstitution.Solve(new LinearRecurrence(BlockStructure.Dense, a, r, torch.zeros(2, 3, dtype: ScalarType.Float64))).States;
        Assert.InRange(Recurrences.MaxAbsDiff(step, newton), 0.0, 1e-9 * Math.Max(1.0, Recurrences.MaxAbs(newton)));
    }

    [Fact]
    public void DampingFollowsTheRule()
    {
        var rule = new LevenbergMarquardtRule();
        Assert.Equal(0.0, rule.Next(0.0, damped: false, accepted: true));
        Assert.Equal(1.0, rule.Next(0.0, damped: false, accepted: false));
        Assert.Equal(4.0, rule.Next(1.0, damped: true, accepted: false));
        Assert.Equal(1.0 / 3, rule.Next(1.0, damped: true, accepted: true), 15);
        Assert.Equal(0.0, rule.Next(2e-6, damped: true, accepted: true));
    }
}

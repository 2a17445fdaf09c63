using DeepPcr.Solvers;
using DeepPcr.Solvers.Globalization;
using DeepPcr.Newton;
using DeepPcr.Tests.Support;

namespace DeepPcr.Tests;

/// <summary>The trust-region DeepPCR method: the shared contract and its radius rule.</summary>
public class TrustRegionTests : GlobalizedSolverContract
{
    protected override IChainSolver Solver => TrustRegionSolver.Instance;

    protected override IChainSolver AlwaysDamped => new TrustRegionSolver { Rule = new() { NewtonGrowth = 0 } };

    [Fact]
    public void RadiusFollowsTheRule()
    {
        var rule = new TrustRegionRule();
        Assert.Equal(double.PositiveInfinity, rule.Next(double.PositiveInfinity, 5.0, clipped: false, accepted: true));
        Assert.Equal(0.5, rule.Next(double.PositiveInfinity, 2.0, clipped: false, accepted: false));
        Assert.Equal(1.0, rule.Next(double.PositiveInfinity, 1e30, clipped: false, accepted: false));
        Assert.Equal(2.0, rule.Next(1.0, 5.0, clipped: true, accepted: true));
        Assert.Equal(0.25, rule.Next(1.0, 5.0, clipped: true, accepted: false));
    }
}

using DeepPcr.Chains;
using DeepPcr.Backward;
using DeepPcr.Distributed;
using DeepPcr.Models.Mlp;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Mpi.Tests;

/// <summary>The partition of a chain, the exchange model, and the distributed path in one process (no MPI).</summary>
public sealed class SingleProcessTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(1000)]
    public void PartitionCoversTheChainInContiguousNearEqualSegments(int length)
    {
        foreach (int ranks in new[] { 1, 2, 3, 4, 7, 1024 })
        {
            var parts = Enumerable.Range(0, ranks).Select(r => new ChainPartition(length, ranks, r)).ToList();
            Assert.Equal(0, parts[0].First);
            for (int r = 1; r < ranks; r++) Assert.Equal(parts[r - 1].First + parts[r - 1].Count, parts[r].First);
            Assert.Equal(length, parts.Sum(p => p.Count));
            Assert.True(parts.Max(p => p.Count) - parts.Min(p => p.Count) <= 1);
            if (ranks > length) Assert.Equal(ranks - length, parts.Count(p => p.Count == 0));
        }
    }

    [Fact]
    public void ExchangeModelCountsRoundsAndPayloads()
    {
        Assert.Equal(new[] { 0, 0, 1, 2, 2, 3, 10 }, new[] { 0, 1, 2, 3, 4, 5, 1024 }.Select(ChainPartition.RoundsFor));
        // P = 4, B = 1, w = 2, 8 bytes: round 1: q = 0 state (2), q = 1, 2 map + state (6 each); round 2: q = 0, 1 state (2 each);
        // hand-over: 3 states (6). 2 + 12 + 4 + 6 = 24 values.
        Assert.Equal(24 * 8, ExchangeModel.BytesPerSolve(4, 1, 2, 8));
        Assert.Equal(0, ExchangeModel.BytesPerSolve(1, 5, 5, 8));
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(5, 3, 2)]
    [InlineData(1000, 8, 2)]
    public void OneRankAgreesWithTheHostEngine(int length, int width, int batch)
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(length, width, 0.9, Activation.Tanh, ScalarType.Float64, 3);
        var input = torch.randn(new long[] { batch, width }, dtype: ScalarType.Float64, generator: new Generator(4));
        var g = torch.randn(new long[] { batch, width }, dtype: ScalarType.Float64, generator: new Generator(5));
        var forward = DistributedSolver.Solve(chain, input, RankGroup.Single);
        var backward = DistributedSolver.Backward(chain, forward, g, RankGroup.Single);
        var single = ParallelChainSolver.DeepPcr.Solve(chain, input);
        var adjoint = AdjointSolver.Solve(chain, input, single.States, g);
        Assert.True(forward.Converged);
        Assert.Equal(single.Iterations, forward.Iterations);
        AssertClose(single.States, forward.States);
        AssertClose(adjoint.StateGradients!, backward.Lambda);
        AssertClose(adjoint.InputGradient, backward.InputGradient!);
        for (int i = 0; i < 2; i++) AssertClose(adjoint.ParameterGradients[i], backward.ParameterGradients[i]);
    }

    /// <summary>
    /// A rank that holds only its own layers (<see cref="RankSegment"/>; on one rank, all of them) solves as the whole
    /// chain does, and the fallback: an expansive chain under an iteration limit of 2 falls back to the sequential
    /// pass, exactly; asking a segment for steps it does not hold is an error naming the steps it holds.
    /// </summary>
    [Fact]
    public void ARankSegmentSolvesAsTheWholeChainAndFallsBack()
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(40, 4, 4.0, Activation.Tanh, ScalarType.Float64, 3);
        var input = torch.randn(new long[] { 2, 4 }, dtype: ScalarType.Float64, generator: new Generator(4));
        var held = new RankSegment(chain, 40, 4, 0, JacobianStructure.Dense);
        var whole = DistributedSolver.Solve(chain, input, RankGroup.Single);
        var segment = DistributedSolver.Solve(held, input, RankGroup.Single);
        Assert.Equal(whole.Iterations, segment.Iterations);
        AssertClose(whole.States, segment.States);

        var limited = DistributedSolver.Solve(held, input, RankGroup.Single, new SolverOptions(MaxIterations: 2));
        Assert.Equal(Fallback.Sequential, limited.Fallback);
        Assert.Equal(Termination.FellBack, limited.Termination);
        Assert.Equal("no convergence within 2 iterations", limited.Alarm);
        Assert.True(limited.Solved);
        Assert.Equal(0.0, (limited.States - SequentialPass.Run(chain, input)).abs().max().ToDouble());
        var off = DistributedSolver.Solve(held, input, RankGroup.Single, new SolverOptions(MaxIterations: 2, Safeguards: Safeguards.Off));
        Assert.Equal(Fallback.None, off.Fallback);
        Assert.False(off.Solved);

        var part = new RankSegment((MlpChain)chain.Segment(10, 5), 40, 4, 10, JacobianStructure.Dense);
        Assert.Same(part.Segment(10, 5), part.Segment(10, 5));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => part.Segment(9, 2));
        Assert.Contains("steps 10..14 of 40", e.Message);
        Assert.Throws<ArgumentException>(() => new RankSegment(chain, 30, 4, 0, JacobianStructure.Dense));
    }

    [Fact]
    public void StepsWithoutHostKernelsAreRefused()
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(4, 3, 0.9, Activation.Tanh, ScalarType.Float64, 3);
        var input = torch.zeros(2, 3, dtype: ScalarType.Float64).requires_grad_(true);
        var e = Assert.Throws<ArgumentException>(() => DistributedSolver.Solve(chain, input, RankGroup.Single));
        Assert.Contains("host engine", e.Message);
    }

    [Fact]
    public void ThreadsPerRankDivideTheCores()
    {
        Assert.Equal(1, DeepPcr.Mpi.MpiLaunch.ThreadsPerRank(usable: 1, ranks: 1));
        Assert.Equal(1, DeepPcr.Mpi.MpiLaunch.ThreadsPerRank(usable: Environment.ProcessorCount, ranks: 100_000));
        Assert.InRange(DeepPcr.Mpi.MpiLaunch.ThreadsPerRank(usable: Environment.ProcessorCount, ranks: 1), 1, Environment.ProcessorCount);
    }

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        double scale = Math.Max(expected.abs().max().ToDouble(), 1e-300);
        double error = (expected - actual).abs().max().ToDouble() / scale;
        Assert.True(error <= 1e-10, $"relative error {error:E2} > 1e-10");
    }
}

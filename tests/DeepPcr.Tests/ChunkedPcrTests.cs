using DeepPcr.Chains;
using DeepPcr.Linear;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>Chunked PCR against plain PCR and forward substitution, float64; bound 4 w L eps max(1, max |z|).</summary>
public class ChunkedPcrTests
{
    public static TheoryData<int, int, JacobianStructure> Sizes()
    {
        var data = new TheoryData<int, int, JacobianStructure>();
        foreach (int length in new[] { 1, 2, 3, 5, 1000 })
        foreach (int width in new[] { 1, 3, 8, 17 })
        foreach (var structure in Enum.GetValues<JacobianStructure>())
            data.Add(length, width, structure);
        return data;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void ChunkedEqualsPlainPcrForEveryChunkSize(int length, int width, JacobianStructure structure)
    {
        using var scope = torch.NewDisposeScope();
        var recurrence = Recurrences.Random(structure, length, batch: 2, width, ScalarType.Float64, seed: length * 3 + width);
        var plain = ParallelCyclicReduction.Solve(recurrence).States;
        var reference = ForwardSubstitution.Solve(recurrence).States;
        double bound = 4.0 * width * length * 2.2e-16 * Math.Max(1.0, Recurrences.MaxAbs(reference));
        foreach (int chunk in new[] { 1, 2, 3, 7, 64, length, length + 5 })
        {
            var chunked = ChunkedPcr.Solve(recurrence, chunk);
            int chunks = (length + Math.Min(chunk, length) - 1) / Math.Min(chunk, length);
            Assert.Equal(ParallelCyclicReduction.RoundsFor(chunks), chunked.Rounds);
            Assert.InRange(Recurrences.MaxAbsDiff(chunked.States, reference), 0.0, bound);
            Assert.InRange(Recurrences.MaxAbsDiff(chunked.States, plain), 0.0, 2 * bound);
        }
    }

    [Fact]
    public void Float32ChunkedAgreesWithFloat64()
    {
        using var scope = torch.NewDisposeScope();
        var r64 = Recurrences.Random(JacobianStructure.Dense, 1000, 3, 8, ScalarType.Float64, seed: 5);
        var r32 = new LinearRecurrence(r64.Structure, r64.A.to_type(ScalarType.Float32), r64.C.to_type(ScalarType.Float32), r64.Z0.to_type(ScalarType.Float32));
        var reference = ForwardSubstitution.Solve(r64).States;
        var chunked = ChunkedPcr.Solve(r32, 100);
        Assert.Equal(ScalarType.Float32, chunked.States.dtype);
        Assert.Equal(4, chunked.Rounds);
        Assert.InRange(Recurrences.MaxAbsDiff(chunked.States, reference), 0.0, 4.0 * 8 * 1000 * 1.2e-7 * Math.Max(1.0, Recurrences.MaxAbs(reference)));
    }

    [Fact]
    public void CostModelPicksOneChunkPerCoreForDenseBlocksAndNeverMoreRowsThanL()
    {
        Assert.Equal(512, ChunkedPcr.ChooseChunkSize(1024, 4, 8, BlockStructure.Dense, cores: 2));
        Assert.Equal(1, ChunkedPcr.ChooseChunkSize(1, 1, 4, BlockStructure.Dense, cores: 2));
        foreach (int cores in new[] { 1, 2, 16, 1000 })
        {
            int chunk = ChunkedPcr.ChooseChunkSize(1000, 2, 4, BlockStructure.Diagonal, cores);
            Assert.InRange(chunk, 1, 1000);
        }
        // With many cores the chunks shrink.
        Assert.True(ChunkedPcr.ChooseChunkSize(4096, 1, 4, BlockStructure.Dense, cores: 256) < ChunkedPcr.ChooseChunkSize(4096, 1, 4, BlockStructure.Dense, cores: 2));
    }

    [Fact]
    public void BadInputIsRefused()
    {
        using var scope = torch.NewDisposeScope();
        var recurrence = Recurrences.Random(JacobianStructure.Dense, 10, 1, 2, ScalarType.Float64, seed: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => ChunkedPcr.Solve(recurrence, 0));
        var nan = new LinearRecurrence(recurrence.Structure, recurrence.A, recurrence.C.clone().fill_(double.NaN), recurrence.Z0);
        Assert.Throws<ArgumentException>(() => ChunkedPcr.Solve(nan, 3));
    }
}

/// <summary>Newton with chunked linear solves: the same fixed point, reported as its own method.</summary>
public class ChunkedNewtonTests
{
    [Theory]
    [InlineData(1, 3, 0)]
    [InlineData(5, 1, 2)]
    [InlineData(1000, 8, 0)]
    [InlineData(1000, 3, 37)]
    public void ChunkedNewtonEqualsSequentialOnHostAndTorchPaths(int length, int width, int chunk)
    {
        using var scope = torch.NewDisposeScope();
        var chain = Models.Mlp.MlpChain.Random(length, width, 0.9, Models.Mlp.Activation.Tanh, ScalarType.Float64, seed: length + width);
        var input = torch.randn(new long[] { 2, width }, dtype: ScalarType.Float64, generator: new Generator(4));
        var sequential = Solvers.SequentialPass.Run(chain, input);
        var options = new Solvers.SolverOptions(ChunkSize: chunk);
        int expectedChunk = options.ChunkFor(length, 2, width, BlockStructure.Dense);
        foreach (IChainStep step in new IChainStep[] { chain, new TensorOnlyStep(chain) })
        {
            var result = Solvers.ParallelChainSolver.DeepPcr.Solve(step, input, options);
            Assert.Equal("deeppcr-chunked", result.MethodName);
            Assert.Equal(Solvers.Termination.Converged, result.Termination);
            Assert.Equal(ChunkedPcr.RoundsFor(length, expectedChunk), result.PcrRounds);
            Assert.InRange(Recurrences.MaxAbsDiff(result.States, sequential), 0.0, 1e-9);
        }
    }
}

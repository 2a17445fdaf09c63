using DeepPcr.Linear;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// Block-tridiagonal PCR against a dense solve (n w up to 1088) and, at n = 1000, the sequential block Thomas
/// algorithm, in float64. The systems are well conditioned (cond below about 1e3), so the bound
/// max |PCR - ref| &lt;= 1e-10 max(1, max |x|) leaves a wide margin over rounding; a wrong elimination is off by O(1).
/// </summary>
public class BlockTridiagonalPcrTests
{
    public static TheoryData<int, int, int, bool> Sizes()
    {
        var data = new TheoryData<int, int, int, bool>();
        foreach (int length in new[] { 1, 2, 3, 5, 64 })
        foreach (int width in new[] { 1, 3, 8, 17 })
        foreach (int batch in new[] { 1, 2 })
        foreach (bool spd in new[] { false, true })
            data.Add(length, width, batch, spd);
        return data;
    }

    private static BlockTridiagonalSystem System(int length, int width, int batch, bool spd, long seed) => spd
        ? TridiagonalSystems.NormalEquations(length, batch, width, gain: 0.9, lambda: 0.1, seed)
        : TridiagonalSystems.Dominant(length, batch, width, seed);

    private static void AssertClose(Tensor actual, Tensor expected)
    {
        double bound = 1e-10 * Math.Max(1.0, Recurrences.MaxAbs(expected));
        Assert.InRange(Recurrences.MaxAbsDiff(actual, expected), 0.0, bound);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void AgreesWithADenseSolve(int length, int width, int batch, bool spd)
    {
        using var scope = torch.NewDisposeScope();
        var system = System(length, width, batch, spd, seed: length * 131 + width * 7 + batch);
        var solution = BlockTridiagonalPcr.Solve(system);
        Assert.Equal(new long[] { length, batch, width }, solution.States.shape);
        Assert.Equal(ParallelCyclicReduction.RoundsFor(length), solution.Rounds);
        AssertClose(solution.States, TridiagonalSystems.DenseSolve(system));
    }

    [Theory]
    [InlineData(1, 1, false)]
    [InlineData(3, 2, true)]
    [InlineData(8, 2, false)]
    [InlineData(17, 1, true)]
    public void AgreesWithBlockThomasOnALongSystem(int width, int batch, bool spd)
    {
        using var scope = torch.NewDisposeScope();
        var system = System(1000, width, batch, spd, seed: 1000 + width);
        var solution = BlockTridiagonalPcr.Solve(system);
        Assert.Equal(10, solution.Rounds);
        AssertClose(solution.States, TridiagonalSystems.Thomas(system));
    }

    [Fact]
    public void TheUnusedEndBlocksAreNeverRead()
    {
        using var scope = torch.NewDisposeScope();
        var system = TridiagonalSystems.Dominant(5, 2, 3, seed: 3);
        var expected = BlockTridiagonalPcr.Solve(system).States;
        var lower = system.Lower.clone();
        var upper = system.Upper.clone();
        lower[0] = torch.full_like(lower[0], 1e3);
        upper[4] = torch.full_like(upper[4], -1e3);
        var actual = BlockTridiagonalPcr.Solve(system with { Lower = lower, Upper = upper }).States;
        Assert.Equal(0.0, Recurrences.MaxAbsDiff(actual, expected));
    }

    [Fact]
    public void Float32AgreesWithFloat64()
    {
        using var scope = torch.NewDisposeScope();
        var s = TridiagonalSystems.NormalEquations(1000, 2, 8, gain: 0.9, lambda: 0.1, seed: 9);
        var s32 = new BlockTridiagonalSystem(s.Lower.to_type(ScalarType.Float32), s.Diagonal.to_type(ScalarType.Float32),
            s.Upper.to_type(ScalarType.Float32), s.Rhs.to_type(ScalarType.Float32));
        var x32 = BlockTridiagonalPcr.Solve(s32).States;
        Assert.Equal(ScalarType.Float32, x32.dtype);
        var reference = BlockTridiagonalPcr.Solve(s).States;
        Assert.InRange(Recurrences.MaxAbsDiff(x32, reference), 0.0, 1e-4 * Math.Max(1.0, Recurrences.MaxAbs(reference)));
    }

    [Fact]
    public void BadShapesAndValuesAreNamed()
    {
        using var scope = torch.NewDisposeScope();
        var s = TridiagonalSystems.Dominant(5, 2, 3, seed: 1);
        void Rejected(BlockTridiagonalSystem bad, params string[] words)
        {
            var error = Assert.ThrowsAny<ArgumentException>(() => BlockTridiagonalPcr.Solve(bad));
            foreach (string word in words) Assert.Contains(word, error.Message);
        }
        Rejected(s with { Lower = torch.zeros(5, 2, 3, 4, dtype: ScalarType.Float64) }, "lower", "(5, 2, 3, 4)", "(5, 2, 3, 3)");
        Rejected(s with { Diagonal = torch.zeros(4, 2, 3, 3, dtype: ScalarType.Float64) }, "diagonal", "(4, 2, 3, 3)");
        Rejected(s with { Upper = torch.zeros(5, 1, 3, 3, dtype: ScalarType.Float64) }, "upper", "(5, 1, 3, 3)");
        Rejected(s with { Rhs = torch.zeros(5, 6, dtype: ScalarType.Float64) }, "rhs", "(n, B, w)");
        Rejected(s with { Rhs = torch.zeros(0, 2, 3, dtype: ScalarType.Float64) }, "rhs", "empty");
        Rejected(s with { Upper = s.Upper.to_type(ScalarType.Float32) }, "upper", "Float32");
        Rejected(s with { Rhs = s.Rhs.to_type(ScalarType.Int32) }, "rhs", "dtype");
        var nan = s.Diagonal.clone();
        nan[2, 1, 0, 0] = double.NaN;
        Rejected(s with { Diagonal = nan }, "diagonal", "non-finite");
    }
}

using DeepPcr.Chains;
using DeepPcr.Linear;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// PCR against forward substitution. Bound (float64): max |PCR - forward| &lt;= 4 w L eps max(1, max |z|),
/// eps = 2.2e-16; a wrong reduction is off by O(1).
/// </summary>
public class PcrTests
{
    public static TheoryData<int, int, JacobianStructure> Sizes()
    {
        var data = new TheoryData<int, int, JacobianStructure>();
        foreach (int length in new[] { 1, 2, 3, 5, 8, 1000 })
        foreach (int width in new[] { 1, 3, 8 })
        foreach (var structure in Enum.GetValues<JacobianStructure>().Where(s => s != JacobianStructure.BlockDiagonal)) // BlockDiagonalTests has its own sizes (k must divide w)
            data.Add(length, width, structure);
        return data;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void PcrEqualsForwardSubstitution(int length, int width, JacobianStructure structure)
    {
        using var scope = torch.NewDisposeScope();
        var recurrence = Recurrences.Random(structure, length, batch: 2, width, ScalarType.Float64, seed: length * 31 + width);
        var reference = ForwardSubstitution.Solve(recurrence);
        var pcr = ParallelCyclicReduction.Solve(recurrence);

        Assert.Equal(new long[] { length, 2, width }, pcr.States.shape);
        Assert.Equal(ParallelCyclicReduction.RoundsFor(length), pcr.Rounds);
        Assert.Equal((int)Math.Ceiling(Math.Log2(length)), pcr.Rounds);
        double bound = 4.0 * width * length * 2.2e-16 * Math.Max(1.0, Recurrences.MaxAbs(reference.States));
        Assert.InRange(Recurrences.MaxAbsDiff(pcr.States, reference.States), 0.0, bound);
    }

    [Theory]
    [InlineData(JacobianStructure.Dense)]
    [InlineData(JacobianStructure.Diagonal)]
    [InlineData(JacobianStructure.Scalar)]
    public void Float32AgreesWithFloat64(JacobianStructure structure)
    {
        using var scope = torch.NewDisposeScope();
        var r64 = Recurrences.Random(structure, 1000, 3, 8, ScalarType.Float64, seed: 5);
        var r32 = new LinearRecurrence(r64.Structure, r64.A.to_type(ScalarType.Float32), r64.C.to_type(ScalarType.Float32), r64.Z0.to_type(ScalarType.Float32));
        var reference = ForwardSubstitution.Solve(r64).States;
        var pcr = ParallelCyclicReduction.Solve(r32);
        Assert.Equal(ScalarType.Float32, pcr.States.dtype);
        Assert.Equal(10, pcr.Rounds);
        double bound = 4.0 * 8 * 1000 * 1.2e-7 * Math.Max(1.0, Recurrences.MaxAbs(reference));
        Assert.InRange(Recurrences.MaxAbsDiff(pcr.States, reference), 0.0, bound);
    }

    [Theory]
    [InlineData(JacobianStructure.Dense, 8, ScalarType.Float32)]   // Vector256 rows
    [InlineData(JacobianStructure.Dense, 4, ScalarType.Float32)]   // Vector128 rows
    [InlineData(JacobianStructure.Dense, 4, ScalarType.Float64)]   // Vector256 rows
    [InlineData(JacobianStructure.Dense, 3, ScalarType.Float64)]   // scalar loops
    [InlineData(JacobianStructure.Diagonal, 5, ScalarType.Float32)]
    [InlineData(JacobianStructure.Scalar, 3, ScalarType.Float64)]
    public void HostKernelEqualsTorchOperations(JacobianStructure structure, int width, ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        var recurrence = Recurrences.Random(structure, 777, 3, width, dtype, seed: width);
        Assert.True(ParallelCyclicReduction.UsesHostKernel(recurrence));
        var host = ParallelCyclicReduction.SolveOnHost(recurrence);
        var ops = ParallelCyclicReduction.SolveWithTorchOps(recurrence);
        Assert.Equal(ops.Rounds, host.Rounds);
        double eps = dtype == ScalarType.Float32 ? 1.2e-7 : 2.2e-16;
        double bound = 4.0 * width * 777 * eps * Math.Max(1.0, Recurrences.MaxAbs(ops.States));
        Assert.InRange(Recurrences.MaxAbsDiff(host.States, ops.States), 0.0, bound);
    }

    [Theory]
    [InlineData(1000, 8, ScalarType.Float64)]
    [InlineData(3, 17, ScalarType.Float64)]
    [InlineData(200, 64, ScalarType.Float32)]
    public void EveryHostKernelGivesTheSameSolution(int length, int width, ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        var recurrence = Recurrences.Random(JacobianStructure.Dense, length, 2, width, dtype, seed: 9 + width);
        var ops = ParallelCyclicReduction.SolveWithTorchOps(recurrence).States;
        double eps = dtype == ScalarType.Float32 ? 1.2e-7 : 2.2e-16;
        double bound = 4.0 * width * length * eps * Math.Max(1.0, Recurrences.MaxAbs(ops));
        foreach (var kernel in Enum.GetValues<HostPcrKernel>().Where(k => ParallelCyclicReduction.SupportsHostKernel(recurrence, k)))
        {
            var host = ParallelCyclicReduction.SolveOnHost(recurrence, kernel);
            Assert.Equal(ParallelCyclicReduction.RoundsFor(length), host.Rounds);
            Assert.InRange(Recurrences.MaxAbsDiff(host.States, ops), 0.0, bound);
        }
    }

    [Fact]
    public void TheTiledKernelRefusesWhatItCannotSolve()
    {
        using var scope = torch.NewDisposeScope();
        var diagonal = Recurrences.Random(JacobianStructure.Diagonal, 16, 1, 4, ScalarType.Float64, seed: 2);
        var wide = Recurrences.Random(JacobianStructure.Dense, 4, 1, 65, ScalarType.Float32, seed: 2);
        foreach (var recurrence in new[] { diagonal, wide })
        {
            Assert.False(ParallelCyclicReduction.SupportsHostKernel(recurrence, HostPcrKernel.Tiled));
            Assert.Throws<ArgumentException>(() => ParallelCyclicReduction.SolveOnHost(recurrence, HostPcrKernel.Tiled));
            Assert.True(ParallelCyclicReduction.SupportsHostKernel(recurrence, HostPcrKernel.RowMajor));
        }
    }

    [Fact]
    public void UnderflowCutoffKeepsContractingChainsAccurate()
    {
        // Blocks 0.05 * orthogonal: products of 512 underflow far below float32's smallest normal.
        using var scope = torch.NewDisposeScope();
        var r = Recurrences.Random(JacobianStructure.Dense, 1024, 2, 4, ScalarType.Float64, seed: 3);
        var r64 = r with { A = r.A * 0.05 };
        var r32 = new LinearRecurrence(r64.Structure, r64.A.to_type(ScalarType.Float32), r64.C.to_type(ScalarType.Float32), r64.Z0.to_type(ScalarType.Float32));
        var reference = ForwardSubstitution.Solve(r64).States;
        var host = ParallelCyclicReduction.SolveOnHost(r32).States;
        Assert.InRange(Recurrences.MaxAbsDiff(host, reference), 0.0, 1e-6 * Recurrences.MaxAbs(reference));
    }

    [Fact]
    public void TensorsThatRequireGradUseTorchOperations()
    {
        using var scope = torch.NewDisposeScope();
        var r = Recurrences.Random(JacobianStructure.Dense, 16, 1, 3, ScalarType.Float64, seed: 4);
        var c = r.C.clone().requires_grad_(true);
        Assert.False(ParallelCyclicReduction.UsesHostKernel(r with { C = c }));
        var solution = ParallelCyclicReduction.Solve(r with { C = c });
        Assert.True(solution.States.requires_grad);
    }

    [Fact]
    public void KnownInitialStateIsCountedOnce()
    {
        // z_1 = A_1 z_0 + c_1 with A_1 = 2, z_0 = 3, c_1 = 1 gives 7; z_2 = A_2 z_1 + c_2 = 5 * 7 + 1 = 36.
        // Counting z_0 twice (folding it and applying A_1 again) would give 13 and 66.
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new double[] { 2, 5 }).reshape(2, 1, 1, 1);
        var c = torch.tensor(new double[] { 1, 1 }).reshape(2, 1, 1);
        var z0 = torch.tensor(new double[] { 3 }).reshape(1, 1);
        var solution = ParallelCyclicReduction.Solve(new LinearRecurrence(BlockStructure.Dense, a, c, z0));
        Assert.Equal(new[] { 7.0, 36.0 }, solution.States.flatten().data<double>().ToArray());

        var single = ParallelCyclicReduction.Solve(new LinearRecurrence(BlockStructure.Dense, a.narrow(0, 0, 1), c.narrow(0, 0, 1), z0));
        Assert.Equal(7.0, single.States.item<double>());
        Assert.Equal(0, single.Rounds);
    }

    [Fact]
    public void LaterNonFiniteRowsDoNotReachEarlierRows()
    {
        using var scope = torch.NewDisposeScope();
        var recurrence = Recurrences.Random(JacobianStructure.Dense, 64, 1, 3, ScalarType.Float64, seed: 9);
        var reference = ForwardSubstitution.Solve(recurrence).States;
        var c = recurrence.C.clone();
        c[40] = torch.full(new long[] { 1, 3 }, double.NaN, dtype: ScalarType.Float64);
        var solution = ParallelCyclicReduction.SolveUnchecked(recurrence with { C = c });
        Assert.InRange(Recurrences.MaxAbsDiff(solution.States.narrow(0, 0, 40), reference.narrow(0, 0, 40)), 0.0, 1e-12);
        Assert.True(solution.States[40].isnan().all().item<bool>());
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(4, 2)]
    [InlineData(5, 3)]
    [InlineData(1024, 10)]
    [InlineData(1025, 11)]
    public void RoundsAreCeilLog2(int length, int rounds) => Assert.Equal(rounds, ParallelCyclicReduction.RoundsFor(length));
}

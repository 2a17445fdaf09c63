using DeepPcr.Chains;
using DeepPcr.Linear;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>Bad input gives an <see cref="ArgumentException"/> whose message names the problem.</summary>
public class BadInputTests
{
    private static LinearRecurrence Valid() => Recurrences.Random(JacobianStructure.Dense, 5, 2, 3, ScalarType.Float64, seed: 1);

    private static void AssertRejected(LinearRecurrence recurrence, params string[] words)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => ParallelCyclicReduction.Solve(recurrence));
        foreach (string word in words) Assert.Contains(word, error.Message);
        Assert.ThrowsAny<ArgumentException>(() => ForwardSubstitution.Solve(recurrence));
    }

    [Fact]
    public void WrongBlockShapeIsNamed()
    {
        using var scope = torch.NewDisposeScope();
        var r = Valid();
        AssertRejected(r with { A = torch.zeros(5, 2, 3, 4, dtype: ScalarType.Float64) }, "A", "(5, 2, 3, 4)", "(5, 2, 3, 3)");
        AssertRejected(r with { Structure = BlockStructure.Diagonal }, "A", "(5, 2, 3)");
    }

    [Fact]
    public void MismatchedBatchOrWidthIsNamed()
    {
        using var scope = torch.NewDisposeScope();
        var r = Valid();
        AssertRejected(r with { Z0 = torch.zeros(3, 3, dtype: ScalarType.Float64) }, "z0", "(3, 3)", "(2, 3)");
        AssertRejected(r with { Z0 = torch.zeros(2, 4, dtype: ScalarType.Float64) }, "z0", "(2, 4)");
        AssertRejected(r with { C = torch.zeros(5, 2, dtype: ScalarType.Float64) }, "c", "(L, B, w)");
    }

    [Fact]
    public void EmptyChainIsNamed()
    {
        using var scope = torch.NewDisposeScope();
        var r = Valid();
        AssertRejected(r with { A = r.A.narrow(0, 0, 0), C = r.C.narrow(0, 0, 0) }, "L = 0");
        Assert.Throws<ArgumentOutOfRangeException>(() => ParallelCyclicReduction.RoundsFor(0));
    }

    [Fact]
    public void NonFiniteValuesAreNamed()
    {
        using var scope = torch.NewDisposeScope();
        var r = Valid();
        var c = r.C.clone();
        c[2, 1, 0] = double.NaN;
        AssertRejected(r with { C = c }, "c", "non-finite");
        var a = r.A.clone();
        a[0, 0, 0, 0] = double.PositiveInfinity;
        AssertRejected(r with { A = a }, "A", "non-finite");
    }

    [Fact]
    public void MixedDtypesAreNamed()
    {
        using var scope = torch.NewDisposeScope();
        var r = Valid();
        AssertRejected(r with { A = r.A.to_type(ScalarType.Float32) }, "A", "Float32", "Float64");
        AssertRejected(r with { C = r.C.to_type(ScalarType.Int64), A = r.A.to_type(ScalarType.Int64), Z0 = r.Z0.to_type(ScalarType.Int64) }, "float32 or float64");
    }

    [Fact]
    public void ChainInputIsChecked()
    {
        using var scope = torch.NewDisposeScope();
        using var step = TanhLayerStep.Random(4, 3, 0.9, ScalarType.Float64, seed: 2);
        var e1 = Assert.ThrowsAny<ArgumentException>(() => SequentialPass.Run(step, torch.zeros(2, 5, dtype: ScalarType.Float64)));
        Assert.Contains("(2, 5)", e1.Message);
        Assert.Contains("width 3", e1.Message);
        var e2 = Assert.ThrowsAny<ArgumentException>(() => SequentialPass.Run(step, torch.zeros(3, dtype: ScalarType.Float64)));
        Assert.Contains("(B, 3)", e2.Message);
        var nan = torch.zeros(2, 3, dtype: ScalarType.Float64);
        nan[1, 1] = double.NaN;
        Assert.Contains("non-finite", Assert.ThrowsAny<ArgumentException>(() => SequentialPass.Run(step, nan)).Message);
        Assert.Contains("batch size 0", Assert.ThrowsAny<ArgumentException>(() => SequentialPass.Run(step, torch.zeros(0, 3, dtype: ScalarType.Float64))).Message);
        using var empty = new TanhLayerStep(torch.zeros(0, 3, 3, dtype: ScalarType.Float64), torch.zeros(0, 3, dtype: ScalarType.Float64));
        Assert.Contains("L = 0", Assert.ThrowsAny<ArgumentException>(() => SequentialPass.Run(empty, torch.zeros(1, 3, dtype: ScalarType.Float64))).Message);
    }
}

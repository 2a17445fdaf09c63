using DeepPcr.Chains;
using DeepPcr.Linear;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests.Support;

/// <summary>Random linear recurrences whose long block products neither explode nor vanish.</summary>
public static class Recurrences
{
    /// <summary>
    /// Blocks that preserve norms (orthogonal dense blocks, +-1 diagonals, +-1 scalars), c ~ N(0, 1), z_0 ~ N(0, 1).
    /// </summary>
    public static LinearRecurrence Random(JacobianStructure structure, int length, int batch, int width, ScalarType dtype, long seed)
    {
        var generator = new Generator((ulong)seed);
        var options = ScalarType.Float64;
        Tensor a = structure switch
        {
            JacobianStructure.Dense => torch.linalg.qr(torch.randn(new long[] { length, batch, width, width }, dtype: options, generator: generator)).Q,
            JacobianStructure.Diagonal => Signs(new long[] { length, batch, width }, generator),
            _ => Signs(new long[] { length, batch, 1 }, generator),
        };
        var c = torch.randn(new long[] { length, batch, width }, dtype: options, generator: generator);
        var z0 = torch.randn(new long[] { batch, width }, dtype: options, generator: generator);
        return new LinearRecurrence(BlockStructure.For(structure), a.to_type(dtype), c.to_type(dtype), z0.to_type(dtype));
    }

    private static Tensor Signs(long[] shape, Generator generator) =>
        (torch.rand(shape, dtype: ScalarType.Float64, generator: generator) < 0.5).to_type(ScalarType.Float64) * 2 - 1;

    /// <summary>max |a - b| over all values.</summary>
    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        using var scope = torch.NewDisposeScope();
        return (a.to_type(ScalarType.Float64) - b.to_type(ScalarType.Float64)).abs().max().item<double>();
    }

    /// <summary>max |a| over all values.</summary>
    public static double MaxAbs(Tensor a)
    {
        using var scope = torch.NewDisposeScope();
        return a.to_type(ScalarType.Float64).abs().max().item<double>();
    }

    /// <summary>
    /// Asserts that <paramref name="solve"/> ran ceil(log2 L) rounds and matches forward substitution in float64 within
    /// 4 w L eps max(1, max |z|), eps the unit roundoff of the recurrence's dtype.
    /// </summary>
    public static void AssertSolvesLikeForwardSubstitution(LinearRecurrence recurrence, Func<LinearRecurrence, (Tensor States, int Rounds)> solve)
    {
        using var scope = torch.NewDisposeScope();
        int length = recurrence.Length, width = (int)recurrence.C.shape[2];
        var r64 = new LinearRecurrence(recurrence.Structure, recurrence.A.to_type(ScalarType.Float64), recurrence.C.to_type(ScalarType.Float64), recurrence.Z0.to_type(ScalarType.Float64));
        var reference = ForwardSubstitution.Solve(r64).States;
        var (states, rounds) = solve(recurrence);
        Assert.Equal(ParallelCyclicReduction.RoundsFor(length), rounds);
        double eps = recurrence.C.dtype == ScalarType.Float32 ? 1.2e-7 : 2.2e-16;
        double bound = 4.0 * width * length * eps * Math.Max(1.0, MaxAbs(reference));
        Assert.InRange(MaxAbsDiff(states, reference), 0.0, bound);
    }
}

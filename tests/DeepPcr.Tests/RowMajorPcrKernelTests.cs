using DeepPcr.Chains;
using DeepPcr.Linear;
using DeepPcr.Linear.Kernels;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// The row-major host kernel (<see cref="CpuPcrKernel"/>) called directly: on CPUs with AVX-512 the host solve sends
/// dense blocks up to w = 64 to the tiled kernel, so the row-major dense code (its Vector256, Vector128 and scalar
/// paths; still the kernel of chunked PCR, of wider blocks and of CPUs without AVX-512) is checked here against forward
/// substitution. Bound: 4 w L eps max(1, max |z|).
/// </summary>
public class RowMajorPcrKernelTests
{
    [Theory]
    [InlineData(1, 3, ScalarType.Float64)]
    [InlineData(2, 8, ScalarType.Float64)]
    [InlineData(5, 17, ScalarType.Float64)]
    [InlineData(1000, 3, ScalarType.Float64)]   // scalar loops
    [InlineData(1000, 4, ScalarType.Float64)]   // Vector256 rows
    [InlineData(777, 8, ScalarType.Float32)]    // Vector256 rows
    [InlineData(777, 4, ScalarType.Float32)]    // Vector128 rows
    [InlineData(300, 17, ScalarType.Float32)]
    public void DenseSolveEqualsForwardSubstitution(int length, int width, ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        var recurrence = Recurrences.Random(JacobianStructure.Dense, length, 3, width, dtype, seed: length + width);
        var r64 = new LinearRecurrence(recurrence.Structure, recurrence.A.to_type(ScalarType.Float64), recurrence.C.to_type(ScalarType.Float64), recurrence.Z0.to_type(ScalarType.Float64));
        var reference = ForwardSubstitution.Solve(r64).States;
        var (states, rounds) = dtype == ScalarType.Float32 ? Solve<float>(recurrence) : Solve<double>(recurrence);
        Assert.Equal(ParallelCyclicReduction.RoundsFor(length), rounds);
        double eps = dtype == ScalarType.Float32 ? 1.2e-7 : 2.2e-16;
        double bound = 4.0 * width * length * eps * Math.Max(1.0, Recurrences.MaxAbs(reference));
        Assert.InRange(Recurrences.MaxAbsDiff(states.to_type(ScalarType.Float64), reference), 0.0, bound);
    }

    private static unsafe (Tensor States, int Rounds) Solve<T>(LinearRecurrence recurrence) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        int length = (int)recurrence.A.shape[0], batch = (int)recurrence.A.shape[1], width = (int)recurrence.C.shape[2];
        var a = recurrence.A.contiguous().data<T>().ToArray();
        var c = recurrence.C.contiguous().data<T>().ToArray();
        var z0 = recurrence.Z0.contiguous().data<T>().ToArray();
        int rounds;
        fixed (T* pa = a, pc = c, pz = z0) rounds = CpuPcrKernel.Solve(length, batch, width, width * width, pa, pc, pz);
        var states = typeof(T) == typeof(float)
            ? torch.tensor((float[])(object)c, recurrence.C.shape)
            : torch.tensor((double[])(object)c, recurrence.C.shape);
        return (states, rounds);
    }
}

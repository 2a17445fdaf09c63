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
        Recurrences.AssertSolvesLikeForwardSubstitution(recurrence, r => dtype == ScalarType.Float32 ? Solve<float>(r) : Solve<double>(r));
    }

    private static unsafe (Tensor States, int Rounds) Solve<T>(LinearRecurrence recurrence) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        int length = (int)recurrence.A.shape[0], batch = (int)recurrence.A.shape[1], width = (int)recurrence.C.shape[2];
        var a = recurrence.A.contiguous().data<T>().ToArray();
        var c = recurrence.C.contiguous().data<T>().ToArray();
        var z0 = recurrence.Z0.contiguous().data<T>().ToArray();
        int rounds;
        fixed (T* pa = a, pc = c, pz = z0) rounds = CpuPcrKernel.Solve(length, batch, width, HostBlock.Dense(width), pa, pc, pz);
        var states = typeof(T) == typeof(float)
            ? torch.tensor((float[])(object)c, recurrence.C.shape)
            : torch.tensor((double[])(object)c, recurrence.C.shape);
        return (states, rounds);
    }
}

using DeepPcr.Chains;
using DeepPcr.Linear;
using DeepPcr.Linear.Kernels;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// The tiled AVX-512 PCR kernel against forward substitution and against one round in TorchSharp operations, on
/// awkward sizes: L in {1, 2, 3, 5, 1000}, w in {1, 3, 8, 17}, batches that put a row's partner in the same lane of
/// an earlier tile (B = 16 in float32) and in two tiles (B = 1, 3). Bounds as in <see cref="PcrTests"/>:
/// 4 w L eps max(1, max |z|). Skipped (returns) where the CPU has no AVX-512.
/// </summary>
public class TiledPcrKernelTests
{
    public static TheoryData<int, int, int> Sizes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int length in new[] { 1, 2, 3, 5, 1000 })
        foreach (int width in new[] { 1, 3, 4, 8, 16, 17 })
        foreach (int batch in new[] { 1, 3, 16 })
            data.Add(length, width, batch);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Sizes))]
    public void SolveEqualsForwardSubstitutionInFloat64(int length, int width, int batch) => CheckSolve(length, width, batch, ScalarType.Float64);

    [SkippableTheory]
    [InlineData(1000, 8, 1)]
    [InlineData(1000, 8, 16)]
    [InlineData(37, 3, 5)]
    [InlineData(256, 4, 2)]     // widths 4, 8 and 16 run with a constant width (TiledPcrKernel's BlockWidth types)
    [InlineData(100, 16, 3)]
    [InlineData(64, 64, 2)]     // the widest tiled blocks (HostPcr.TiledMaxWidth)
    [InlineData(50, 33, 3)]
    public void SolveEqualsForwardSubstitutionInFloat32(int length, int width, int batch) => CheckSolve(length, width, batch, ScalarType.Float32);

    [SkippableTheory]
    [InlineData(8, 1, ScalarType.Float32)]
    [InlineData(8, 4, ScalarType.Float32)]
    [InlineData(8, 16, ScalarType.Float32)]
    [InlineData(5, 3, ScalarType.Float64)]
    [InlineData(8, 8, ScalarType.Float64)]
    public void OneRoundEqualsTheTorchRound(int width, int batch, ScalarType dtype)
    {
        Skip.IfNot(TiledPcrKernel.IsSupported, "the tiled kernel needs AVX-512, which this CPU lacks");
        using var scope = torch.NewDisposeScope();
        const int length = 300;
        var recurrence = Recurrences.Random(JacobianStructure.Dense, length, batch, width, dtype, seed: width * 31 + batch);
        foreach (int s in new[] { 1, 2, 3, 16, 64, 200 })
        {
            var a = recurrence.A.narrow(0, s, length - s).contiguous();
            var (updated, composed) = PcrRound.RunWithTorchOps(BlockStructure.Dense, s, a, recurrence.C);
            var (aNext, cNext) = dtype == ScalarType.Float32
                ? TiledRound<float>(recurrence, s)
                : TiledRound<double>(recurrence, s);
            double eps = dtype == ScalarType.Float32 ? 1.2e-7 : 2.2e-16;
            Assert.InRange(Recurrences.MaxAbsDiff(cNext.narrow(0, s, length - s), updated), 0.0, 4 * width * eps * Math.Max(1, Recurrences.MaxAbs(updated)));
            Assert.Equal(0.0, Recurrences.MaxAbsDiff(cNext.narrow(0, 0, s), recurrence.C.narrow(0, 0, s)));
            if (composed is not null)
            {
                // Host row n = l B + b holds A_l A_{l-s}; the torch round's row k holds A_{k+2s} A_{k+s}.
                Assert.InRange(Recurrences.MaxAbsDiff(aNext.narrow(0, 2 * s, length - 2 * s), composed), 0.0, 4 * width * eps * Math.Max(1, Recurrences.MaxAbs(composed)));
            }
        }
    }

    /// <summary>
    /// A NaN in one block reaches every later state, in both dtypes and in the aligned and shifted partner paths:
    /// the kernels flush tiny values to zero, and a flush that zeroed NaN too would hide a broken chain from the
    /// safeguards (a JIT that inverts the flush's comparison without its NaN rule does exactly that).
    /// </summary>
    [SkippableTheory]
    [InlineData(1, ScalarType.Float32)]
    [InlineData(16, ScalarType.Float32)]
    [InlineData(1, ScalarType.Float64)]
    [InlineData(8, ScalarType.Float64)]
    public void NaNInABlockReachesEveryLaterState(int batch, ScalarType dtype)
    {
        Skip.IfNot(TiledPcrKernel.IsSupported, "the tiled kernel needs AVX-512, which this CPU lacks");
        using var scope = torch.NewDisposeScope();
        const int length = 64, width = 8, poisoned = 5;
        var recurrence = Recurrences.Random(JacobianStructure.Dense, length, batch, width, dtype, seed: 3);
        recurrence.A[poisoned, 0, 2, 3] = torch.tensor(double.NaN, dtype: dtype);
        var (states, _) = dtype == ScalarType.Float32 ? Solve<float>(recurrence) : Solve<double>(recurrence);
        Assert.False(states.narrow(0, 0, poisoned).isnan().any().item<bool>(), "rows before the poisoned block stay finite");
        Assert.True(states[poisoned + 1, 0].isnan().any().item<bool>(), "the poisoned block's own state is NaN");
        Assert.True(states[length - 1, 0].isnan().all().item<bool>(), "the NaN reaches every entry of the last state");
        var (composed, _) = dtype == ScalarType.Float32 ? TiledRound<float>(recurrence, 1) : TiledRound<double>(recurrence, 1);
        Assert.True(composed[poisoned + 1, 0].isnan().any().item<bool>(), "the composed block A_{l+1} A_l keeps the NaN");
    }

    private static void CheckSolve(int length, int width, int batch, ScalarType dtype)
    {
        Skip.IfNot(TiledPcrKernel.IsSupported, "the tiled kernel needs AVX-512, which this CPU lacks");
        using var scope = torch.NewDisposeScope();
        var recurrence = Recurrences.Random(JacobianStructure.Dense, length, batch, width, dtype, seed: length + 7 * width + 101 * batch);
        Recurrences.AssertSolvesLikeForwardSubstitution(recurrence, r => dtype == ScalarType.Float32 ? Solve<float>(r) : Solve<double>(r));
    }

    private static unsafe (Tensor States, int Rounds) Solve<T>(LinearRecurrence recurrence) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        int length = (int)recurrence.A.shape[0], batch = (int)recurrence.A.shape[1], width = (int)recurrence.C.shape[2];
        long rows = (long)length * batch;
        var a = ToTiled<T>(recurrence.A, rows, width * width);
        var c = ToTiled<T>(recurrence.C, rows, width);
        var z0 = recurrence.Z0.contiguous().data<T>().ToArray();
        using var scratch = HostScratch.Lease(TiledPcrKernel.ScratchFor<T>(rows, width) * sizeof(T));
        int rounds;
        fixed (T* pa = a, pc = c, pz = z0) rounds = TiledPcrKernel.Solve(length, batch, width, pa, pc, pz, (T*)scratch.Pointer);
        return (FromTiled(c, rows, width, recurrence.C.shape, recurrence.C.dtype), rounds);
    }

    private static unsafe (Tensor ANext, Tensor CNext) TiledRound<T>(LinearRecurrence recurrence, int s) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        int length = (int)recurrence.A.shape[0], batch = (int)recurrence.A.shape[1], width = (int)recurrence.C.shape[2];
        long rows = (long)length * batch;
        var a = ToTiled<T>(recurrence.A, rows, width * width);
        var c = ToTiled<T>(recurrence.C, rows, width);
        var aNext = new T[a.Length];
        var cNext = new T[c.Length];
        fixed (T* pa = a, pc = c, pan = aNext, pcn = cNext)
        {
            TiledPcrKernel.RunRound(s, length, batch, width, pa, pan, pc, pcn);
        }
        return (FromTiled(aNext, rows, width * width, recurrence.A.shape, recurrence.A.dtype), FromTiled(cNext, rows, width, recurrence.C.shape, recurrence.C.dtype));
    }

    /// <summary>(L, B, entries...) row-major to the tiled layout; padding rows zero.</summary>
    private static T[] ToTiled<T>(Tensor source, long rows, int entries) where T : unmanaged
    {
        var values = source.contiguous().data<T>().ToArray();
        var tiled = new T[TiledPcrKernel.Size<T>(rows, entries)];
        for (long n = 0; n < rows; n++)
        for (int e = 0; e < entries; e++) tiled[TiledPcrKernel.Index<T>(n, e, entries)] = values[n * entries + e];
        return tiled;
    }

    private static Tensor FromTiled<T>(T[] tiled, long rows, int entries, long[] shape, ScalarType dtype) where T : unmanaged
    {
        var values = new T[rows * entries];
        for (long n = 0; n < rows; n++)
        for (int e = 0; e < entries; e++) values[n * entries + e] = tiled[TiledPcrKernel.Index<T>(n, e, entries)];
        return dtype == ScalarType.Float32 ? torch.tensor((float[])(object)values, shape) : torch.tensor((double[])(object)values, shape);
    }
}

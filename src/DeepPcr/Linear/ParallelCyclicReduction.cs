using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Linear;

/// <summary>
/// Parallel Cyclic Reduction for z_l = A_l z_{l-1} + c_l (DESIGN.md section 1.2), in ceil(log2 L) rounds
/// of batched block products. The known z_0 is folded into row 1 once (c_1 += A_1 z_0), after which A_1
/// plays no further part. Round s (s = 1, 2, 4, ... while s &lt; L) updates, for every row l &gt; s at once and
/// from the previous round's values, c_l += A_l c_{l-s}, and A_l = A_l A_{l-s} for the rows l &gt; 2s that
/// stay unsolved after the round. Rows l &lt;= s are solved and left alone.
/// Work: about B L log2 L block products; every row reads only rows above it, so a non-finite value in
/// row m never reaches rows before m.
/// </summary>
public static class ParallelCyclicReduction
{
    /// <summary>ceil(log2 L): the rounds PCR needs for L rows (0 for L = 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">L &lt; 1.</exception>
    public static int RoundsFor(int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        int rounds = 0;
        for (long s = 1; s < length; s *= 2) rounds++;
        return rounds;
    }

    /// <summary>Solves the recurrence after checking shapes, dtypes and that every value is finite.</summary>
    /// <param name="recurrence">A (L, B, block), c (L, B, w), z_0 (B, w).</param>
    /// <returns>States (L, B, w) and the rounds run.</returns>
    /// <exception cref="ArgumentException">A shape, dtype or device mismatch, L = 0, or a non-finite value.</exception>
    public static PcrSolution Solve(LinearRecurrence recurrence)
    {
        ArgumentNullException.ThrowIfNull(recurrence);
        recurrence.Validate(requireFinite: true);
        return SolveUnchecked(recurrence);
    }

    /// <summary>
    /// Solves without checking values: for callers (Newton's loop) whose later rows may legitimately hold
    /// non-finite values while earlier rows are exact. Shapes must already be valid.
    /// </summary>
    internal static PcrSolution SolveUnchecked(LinearRecurrence recurrence) =>
        UsesHostKernel(recurrence) ? SolveOnHost(recurrence) : SolveWithTorchOps(recurrence);

    /// <summary>
    /// True when the hand-written host kernel applies: CPU tensors of float32 or float64 outside autograd.
    /// Everything else (other devices, tensors that require grad) runs on TorchSharp operations.
    /// </summary>
    public static bool UsesHostKernel(LinearRecurrence r) =>
        r.C.device_type == DeviceType.CPU && r.A.device_type == DeviceType.CPU && r.Z0.device_type == DeviceType.CPU
        && (r.C.dtype == ScalarType.Float32 || r.C.dtype == ScalarType.Float64)
        && !r.A.requires_grad && !r.C.requires_grad && !r.Z0.requires_grad;

    /// <summary>
    /// PCR in the hand-written host kernels: by default dense blocks up to w = 64 in the tiled AVX-512 kernel where the
    /// CPU has it (<see cref="Kernels.TiledPcrKernel"/>), everything else in the row-major one (<see cref="Kernels.CpuPcrKernel"/>).
    /// </summary>
    /// <param name="recurrence">CPU float32 or float64 tensors (<see cref="UsesHostKernel"/>).</param>
    /// <param name="kernel">The kernel to run; <see cref="HostPcrKernel.Fastest"/> unless a benchmark or test asks for one.</param>
    /// <returns>The states (L, B, w) and the rounds run.</returns>
    /// <exception cref="ArgumentException"><paramref name="kernel"/> does not apply to this recurrence or CPU (<see cref="SupportsHostKernel"/>).</exception>
    public static unsafe PcrSolution SolveOnHost(LinearRecurrence recurrence, HostPcrKernel kernel = HostPcrKernel.Fastest)
    {
        ArgumentNullException.ThrowIfNull(recurrence);
        if (!SupportsHostKernel(recurrence, kernel))
        {
            throw new ArgumentException($"The {kernel} host kernel does not apply here: it needs dense blocks of width at most {Kernels.HostPcr.TiledMaxWidth} and a CPU with AVX-512.", nameof(kernel));
        }
        bool tiled = kernel == HostPcrKernel.Tiled || (kernel == HostPcrKernel.Fastest && SupportsHostKernel(recurrence, HostPcrKernel.Tiled));
        using var scope = torch.NewDisposeScope();
        var a = recurrence.A.contiguous();
        var z0 = recurrence.Z0.contiguous();
        var c = recurrence.C.contiguous().clone();
        int length = recurrence.Length, batch = (int)c.size(1), width = (int)c.size(2);
        var block = recurrence.Structure.HostBlock(width);
        int rounds;
        // Tensor.bytes is a view of a CPU tensor's own memory: the kernel writes the solution into c.
        fixed (byte* pa = a.bytes, pc = c.bytes, pz = z0.bytes)
        {
            rounds = c.dtype == ScalarType.Float32
                ? RunHostKernel(tiled, length, batch, width, block, (float*)pa, (float*)pc, (float*)pz)
                : RunHostKernel(tiled, length, batch, width, block, (double*)pa, (double*)pc, (double*)pz);
        }
        return new PcrSolution(c.MoveToOuterDisposeScope(), rounds);
    }

    private static unsafe int RunHostKernel<T>(bool tiled, int length, int batch, int width, Kernels.HostBlock block, T* a, T* c, T* z0)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        tiled ? Kernels.TiledPcrKernel.SolveRowMajor(length, batch, width, a, c, z0) : Kernels.CpuPcrKernel.Solve(length, batch, width, block, a, c, z0);

    /// <summary>True when <paramref name="kernel"/> can solve <paramref name="recurrence"/> on this CPU.</summary>
    public static bool SupportsHostKernel(LinearRecurrence recurrence, HostPcrKernel kernel)
    {
        ArgumentNullException.ThrowIfNull(recurrence);
        return kernel != HostPcrKernel.Tiled
            || (Kernels.TiledPcrKernel.IsSupported && recurrence.Structure.Kind == Chains.JacobianStructure.Dense && recurrence.C.size(2) <= Kernels.HostPcr.TiledMaxWidth);
    }

    /// <summary>PCR from TorchSharp operations: any device, differentiable; the reference for the host kernel.</summary>
    public static PcrSolution SolveWithTorchOps(LinearRecurrence recurrence)
    {
        using var scope = torch.NewDisposeScope();
        var structure = recurrence.Structure;
        long length = recurrence.Length;
        var first = recurrence.C.narrow(0, 0, 1) + structure.Apply(recurrence.A.narrow(0, 0, 1), recurrence.Z0.unsqueeze(0));
        var c = length == 1 ? first : torch.cat(new[] { first, recurrence.C.narrow(0, 1, length - 1) }, 0);
        // a holds the blocks of rows s..L-1 (0-based) at the start of round s: exactly the rows still to update.
        var a = length == 1 ? null : recurrence.A.narrow(0, 1, length - 1);
        int rounds = 0;
        for (long s = 1; s < length; s *= 2)
        {
            var updated = c.narrow(0, s, length - s) + structure.Apply(a!, c.narrow(0, 0, length - s));
            c = torch.cat(new[] { c.narrow(0, 0, s), updated }, 0);
            long remaining = length - 2 * s;
            a = remaining > 0 ? structure.Compose(a!.narrow(0, s, remaining), a!.narrow(0, 0, remaining)) : null;
            rounds++;
        }
        return new PcrSolution(c.MoveToOuterDisposeScope(), rounds);
    }
}

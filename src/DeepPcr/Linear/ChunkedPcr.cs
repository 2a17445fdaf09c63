using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Linear;

/// <summary>
/// Hybrid chunked PCR for z_l = A_l z_{l-1} + c_l (DESIGN.md section 2, ParaRNN's scheme): sequential inside chunks
/// of c rows, PCR across the ceil(L / c) chunk boundaries, then the chunk interiors in parallel. About L block
/// products instead of L log2 L, at the price of c sequential steps per chunk; c = L is forward substitution and
/// c = 1 is plain PCR. CPU float32/float64 tensors only (host kernel).
/// </summary>
public static class ChunkedPcr
{
    /// <summary>Solves the recurrence with chunks of <paramref name="chunkSize"/> rows.</summary>
    /// <param name="recurrence">A (L, B, block), c (L, B, w), z_0 (B, w); CPU float32 or float64.</param>
    /// <param name="chunkSize">Rows per chunk, at least 1 (clipped to L).</param>
    /// <returns>States (L, B, w) and the PCR rounds over the chunk boundaries: ceil(log2 ceil(L / c)).</returns>
    /// <exception cref="ArgumentException">Shapes, dtypes or devices that do not fit, or non-finite values.</exception>
    public static PcrSolution Solve(LinearRecurrence recurrence, int chunkSize)
    {
        ArgumentNullException.ThrowIfNull(recurrence);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        recurrence.Validate(requireFinite: true);
        if (!ParallelCyclicReduction.UsesHostKernel(recurrence))
        {
            throw new ArgumentException("Chunked PCR runs on the host kernel: CPU float32 or float64 tensors outside autograd.", nameof(recurrence));
        }
        return SolveUnchecked(recurrence, chunkSize);
    }

    /// <summary>As <see cref="Solve"/> without the value checks, for Newton's loop; host-kernel tensors only.</summary>
    internal static unsafe PcrSolution SolveUnchecked(LinearRecurrence recurrence, int chunkSize)
    {
        using var scope = torch.NewDisposeScope();
        var a = recurrence.A.contiguous();
        var z0 = recurrence.Z0.contiguous();
        var c = recurrence.C.contiguous().clone();
        int length = recurrence.Length, batch = (int)c.size(1), width = (int)c.size(2);
        int chunk = Math.Min(chunkSize, length);
        int rounds;
        fixed (byte* pa = a.bytes, pc = c.bytes, pz = z0.bytes)
        {
            rounds = c.dtype == ScalarType.Float32
                ? Kernels.ChunkedPcrKernel.Solve(length, batch, width, recurrence.Structure.HostBlock(width), chunk, (float*)pa, (float*)pc, (float*)pz)
                : Kernels.ChunkedPcrKernel.Solve(length, batch, width, recurrence.Structure.HostBlock(width), chunk, (double*)pa, (double*)pc, (double*)pz);
        }
        return new PcrSolution(c.MoveToOuterDisposeScope(), rounds);
    }

    /// <summary>The PCR rounds over the chunk boundaries for L rows in chunks of c.</summary>
    public static int RoundsFor(int length, int chunkSize) =>
        ParallelCyclicReduction.RoundsFor((length + Math.Min(chunkSize, length) - 1) / Math.Min(chunkSize, length));

    /// <summary>
    /// The chunk size that a simple cost model expects to be fastest on <paramref name="cores"/> cores, counting
    /// multiply-adds: M chunks run in ceil(M / cores) waves of c block products and 2c block-vector products, and
    /// the boundary PCR costs M ceil(log2 M) block products spread over the cores. Candidates are L / (k cores)
    /// for k = 1, 2, 4, ... down to chunks of 2 rows.
    /// </summary>
    public static int ChooseChunkSize(int length, int batch, int width, BlockStructure structure, int cores)
    {
        ArgumentNullException.ThrowIfNull(structure);
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        cores = Math.Max(1, cores);
        var (apply, compose) = PcrRound.FlopsPerBlock(structure, width);
        int best = length;
        double bestCost = double.PositiveInfinity;
        for (long parts = cores; ; parts *= 2)
        {
            int chunk = (int)Math.Max(1, (length + parts - 1) / parts);
            int chunks = (length + chunk - 1) / chunk;
            double waves = Math.Ceiling((double)chunks / cores);
            double cost = batch * (waves * chunk * (compose + 2 * apply) + chunks * ParallelCyclicReduction.RoundsFor(chunks) * (compose + apply) / cores);
            if (cost < bestCost)
            {
                bestCost = cost;
                best = chunk;
            }
            if (chunk <= 2) break;
        }
        return best;
    }
}

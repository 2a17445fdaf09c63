using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Linear;

/// <summary>
/// One round of <see cref="ParallelCyclicReduction"/> on its own, for kernel benchmarks and tests: round s
/// updates c_l += A_l c_{l-s} for rows l = s..L-1 (0-based) and composes A_l A_{l-s} for rows l &gt;= 2s.
/// The same round runs on the host kernel or on TorchSharp operations.
/// </summary>
public static class PcrRound
{
    /// <summary>
    /// Round s on the host kernel, in place and without allocating: copies c's first L - s rows to
    /// <paramref name="scratch"/>, updates c's rows s..L-1 and writes the composed blocks to <paramref name="aNext"/>.
    /// </summary>
    /// <param name="structure">The block structure.</param>
    /// <param name="s">The round's stride, 1 &lt;= s &lt; L.</param>
    /// <param name="a">(L - s, B, block): the blocks of rows s..L-1; contiguous CPU float32/float64.</param>
    /// <param name="c">(L, B, w), updated.</param>
    /// <param name="aNext">(max(L - 2s, 0), B, block) or more rows, written.</param>
    /// <param name="scratch">(L - s, B, w) or more rows, overwritten.</param>
    /// <exception cref="ArgumentException">Tensors that are not contiguous CPU float32/float64 of one dtype, or that do not fit.</exception>
    public static unsafe void RunOnHost(BlockStructure structure, int s, Tensor a, Tensor c, Tensor aNext, Tensor scratch)
    {
        ArgumentNullException.ThrowIfNull(structure);
        int length = (int)c.size(0), batch = (int)c.size(1), width = (int)c.size(2);
        int block = (int)structure.BlockShape(width).Aggregate(1L, (x, y) => x * y);
        if (s < 1 || s >= length) throw new ArgumentOutOfRangeException(nameof(s), s, $"The stride must lie in [1, L) for L = {length}.");
        foreach (var (t, name, rows, inner) in new[] { (a, "a", length - s, block), (aNext, "aNext", Math.Max(length - 2 * s, 0), block), (scratch, "scratch", length - s, width) })
        {
            if (!t.is_contiguous() || t.device_type != DeviceType.CPU || t.dtype != c.dtype || t.size(0) < rows || t.numel() < (long)rows * batch * inner)
            {
                throw new ArgumentException($"{name} must be a contiguous CPU tensor of c's dtype with at least {rows} rows of {batch} x {inner} values.", name);
            }
        }
        if (!c.is_contiguous() || c.device_type != DeviceType.CPU || (c.dtype != ScalarType.Float32 && c.dtype != ScalarType.Float64))
        {
            throw new ArgumentException("c must be a contiguous CPU float32 or float64 tensor.", nameof(c));
        }
        fixed (byte* pa = a.bytes, pc = c.bytes, pn = aNext.bytes, ps = scratch.bytes)
        {
            long bytes = (long)(length - s) * batch * width * c.ElementSize;
            Buffer.MemoryCopy(pc, ps, bytes, bytes);
            if (c.dtype == ScalarType.Float32) Kernels.CpuPcrKernel.RunRound(s, length, batch, width, structure.HostBlock(width), (float*)pa, (float*)pn, (float*)ps, (float*)pc);
            else Kernels.CpuPcrKernel.RunRound(s, length, batch, width, structure.HostBlock(width), (double*)pa, (double*)pn, (double*)ps, (double*)pc);
        }
    }

    /// <summary>
    /// Round s on the tiled host kernel (CPUs with AVX-512), dense blocks, without allocating: blocks and states in
    /// the tiled layout of <see cref="ToTiledLayout"/>, ping-pong buffers (the round reads <paramref name="a"/> and
    /// <paramref name="c"/> and writes <paramref name="aNext"/> and <paramref name="cNext"/>).
    /// </summary>
    /// <param name="s">The round's stride, 1 &lt;= s &lt; L.</param>
    /// <param name="length">L.</param>
    /// <param name="batch">B.</param>
    /// <param name="width">w.</param>
    /// <param name="a">The tiled blocks of all L B rows (<see cref="TiledValues"/>(L B, w^2) values), read.</param>
    /// <param name="aNext">As <paramref name="a"/>, written.</param>
    /// <param name="c">The tiled states (<see cref="TiledValues"/>(L B, w) values), read.</param>
    /// <param name="cNext">As <paramref name="c"/>, written.</param>
    /// <param name="times">How many times to run the round back to back (a benchmark's inner loop, with the
    /// arguments checked once: the checks' TorchSharp calls would otherwise weigh on a round of 30 microseconds).</param>
    /// <exception cref="PlatformNotSupportedException">The CPU has no AVX-512.</exception>
    /// <exception cref="ArgumentException">Tensors that are not contiguous CPU float32/float64 of one dtype, or too small.</exception>
    public static unsafe void RunTiledOnHost(int s, int length, int batch, int width, Tensor a, Tensor aNext, Tensor c, Tensor cNext, int times = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(times, 1);
        if (!Kernels.TiledPcrKernel.IsSupported) throw new PlatformNotSupportedException("The tiled kernel needs AVX-512.");
        if (s < 1 || s >= length) throw new ArgumentOutOfRangeException(nameof(s), s, $"The stride must lie in [1, L) for L = {length}.");
        long rows = (long)length * batch;
        foreach (var (t, name, values) in new[] { (a, "a", TiledValues(rows, width * width)), (aNext, "aNext", TiledValues(rows, width * width)), (c, "c", TiledValues(rows, width)), (cNext, "cNext", TiledValues(rows, width)) })
        {
            if (!t.is_contiguous() || t.device_type != DeviceType.CPU || t.dtype != c.dtype || t.numel() < values)
            {
                throw new ArgumentException($"{name} must be a contiguous CPU tensor of c's dtype with at least {values} values.", name);
            }
        }
        if (c.dtype != ScalarType.Float32 && c.dtype != ScalarType.Float64) throw new ArgumentException("c must be float32 or float64.", nameof(c));
        fixed (byte* pa = a.bytes, pn = aNext.bytes, pc = c.bytes, pcn = cNext.bytes)
        {
            bool single = c.dtype == ScalarType.Float32;
            for (int i = 0; i < times; i++)
            {
                if (single) Kernels.TiledPcrKernel.RunRound(s, length, batch, width, (float*)pa, (float*)pn, (float*)pc, (float*)pcn);
                else Kernels.TiledPcrKernel.RunRound(s, length, batch, width, (double*)pa, (double*)pn, (double*)pc, (double*)pcn);
            }
        }
    }

    /// <summary>True when <see cref="RunTiledOnHost"/> can run on this CPU.</summary>
    public static bool TiledSupported => Kernels.TiledPcrKernel.IsSupported;

    /// <summary>Values of a float32 tiled buffer of <paramref name="rows"/> rows of <paramref name="entries"/> entries (rows padded to whole tiles).</summary>
    public static long TiledValues(long rows, int entries) => Kernels.TiledPcrKernel.Size<float>(rows, entries);

    /// <summary>
    /// (L, B, entries...) float32 values to the tiled layout, a 1-D tensor: rows n = l B + b in tiles of 16, entry e of
    /// row n at (n / 16) E 16 + e 16 + n % 16, padding rows zero.
    /// </summary>
    /// <param name="values">(L, B, ...) float32.</param>
    /// <returns>(<see cref="TiledValues"/>(L B, E)) float32.</returns>
    public static Tensor ToTiledLayout(Tensor values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.dtype != ScalarType.Float32) throw new ArgumentException("The tiled layout is built here for float32 values.", nameof(values));
        long rows = values.size(0) * values.size(1);
        int lanes = Kernels.TiledPcrKernel.Lanes<float>();
        long padded = Kernels.TiledPcrKernel.Tiles<float>(rows) * lanes;
        using var flat = values.reshape(rows, -1);
        long entries = flat.size(1);
        using var padding = torch.zeros(padded - rows, entries, dtype: values.dtype);
        using var all = torch.cat(new[] { flat, padding });
        using var tiles = all.reshape(padded / lanes, lanes, entries);
        return tiles.transpose(1, 2).contiguous().reshape(-1);
    }

    /// <summary>Round s in TorchSharp operations (allocating its results, as the torch-op solve does).</summary>
    /// <param name="structure">The block structure.</param>
    /// <param name="s">The round's stride, 1 &lt;= s &lt; L.</param>
    /// <param name="a">(L - s, B, block): the blocks of rows s..L-1.</param>
    /// <param name="c">(L, B, w).</param>
    /// <returns>The updated rows s..L-1 of c (L - s, B, w) and the composed blocks (L - 2s, B, block), or null when L &lt;= 2s.</returns>
    public static (Tensor Updated, Tensor? Composed) RunWithTorchOps(BlockStructure structure, int s, Tensor a, Tensor c)
    {
        ArgumentNullException.ThrowIfNull(structure);
        long length = c.size(0);
        var updated = c.narrow(0, s, length - s) + structure.Apply(a, c.narrow(0, 0, length - s));
        long remaining = length - 2 * s;
        var composed = remaining > 0 ? structure.Compose(a.narrow(0, s, remaining), a.narrow(0, 0, remaining)) : null;
        return (updated, composed);
    }

    /// <summary>The flops of round s: (L - s) B block-vector products plus (L - 2s) B block products.</summary>
    public static double Flops(BlockStructure structure, int s, int length, int batch, int width)
    {
        ArgumentNullException.ThrowIfNull(structure);
        var (apply, compose) = FlopsPerBlock(structure, width);
        return (double)(length - s) * batch * apply + (double)Math.Max(0, length - 2 * s) * batch * compose;
    }

    /// <summary>Flops of one block-vector product (with its addition) and of one block product.</summary>
    public static (double Apply, double Compose) FlopsPerBlock(BlockStructure structure, int width) => structure.Kind switch
    {
        Chains.JacobianStructure.Dense => (2.0 * width * width, 2.0 * width * width * width),
        Chains.JacobianStructure.Diagonal => (2.0 * width, width),
        // k x k blocks of diagonals of width h = w / k: k^2 h multiply-adds applied, k^3 h composed.
        Chains.JacobianStructure.BlockDiagonal => (2.0 * structure.BlockShape(width)[0] * width, 2.0 * structure.BlockShape(width)[0] * structure.BlockShape(width)[0] * width),
        _ => (2.0 * width, 1),
    };
}

using ILGPU;

namespace DeepPcr.Gpu.Kernels;

/// <summary>
/// Dense Parallel Cyclic Reduction on the device for z_r = A_r z_{r-1} + c_r, r = 0..L-1 (0-based rows), with
/// the round structure of src/DeepPcr/Linear/Kernels/CpuPcrKernel.cs: z_{-1} is folded into row 0 once
/// (c_0 += A_0 z_{-1}); round s (s = 1, 2, 4, ... while s &lt; L) sets, from the previous round's values,
/// c_r += A_r c_{r-s} for r &gt;= s (rows r &lt; s are solved and copied) and A_r = A_r A_{r-s} for r &gt;= 2s
/// (the only rows later rounds read). Ping-pong buffers for A and c: a round reads one and writes the other.
/// Composed entries below 1e-18 are set to zero and sums below the smallest normal are flushed, as on the
/// host, so that long products never crawl through subnormal numbers.
/// Two thread mappings of a round, chosen by the engine per width:
/// <see cref="RoundPerEntry"/> (one thread per entry of an output block: best for small w, where a block is
/// a few values and a group per block would leave most threads idle) and <see cref="RoundTiled"/>
/// (one group per block pair, both blocks staged in shared memory: for w &gt;= 16 each entry of A_r and
/// A_{r-s} is then read from global memory once instead of w times, and the loads are coalesced).
/// </summary>
public static class PcrKernels
{
    /// <summary>c[0, b, :] += A[0, b] z0[b, :]. Index space: B w.</summary>
    /// <param name="index">Flat (b, i).</param>
    /// <param name="d">Sizes.</param>
    /// <param name="blocks">(L, B, w, w).</param>
    /// <param name="z0">(B, w): the known start state.</param>
    /// <param name="c">(L, B, w): row 0 updated in place.</param>
    public static void Fold(Index1D index, ChainDims d, ArrayView<float> blocks, ArrayView<float> z0, ArrayView<float> c)
    {
        int w = d.Width, b = index / w, i = index % w;
        float sum = c[index];
        for (int j = 0; j < w; j++) sum += blocks[(b * w + i) * w + j] * z0[b * w + j];
        c[index] = DeviceMath.Flush(sum, DeviceMath.SmallestNormal);
    }

    /// <summary>
    /// One round, one thread per (r, b, i, j): the thread with j = 0 updates c[r, b, i] (or copies it for
    /// r &lt; s); every thread with r &gt;= 2s writes entry (i, j) of A_r A_{r-s}. Index space: L B w^2.
    /// </summary>
    /// <param name="index">Flat (r, b, i, j).</param>
    /// <param name="d">Sizes.</param>
    /// <param name="s">The stride of this round.</param>
    /// <param name="aIn">(L, B, w, w): this round's blocks (rows r &gt;= s valid).</param>
    /// <param name="aOut">(L, B, w, w): next round's blocks (rows r &gt;= 2s written).</param>
    /// <param name="cIn">(L, B, w).</param>
    /// <param name="cOut">(L, B, w), every row written.</param>
    public static void RoundPerEntry(Index1D index, ChainDims d, int s, ArrayView<float> aIn, ArrayView<float> aOut,
        ArrayView<float> cIn, ArrayView<float> cOut) =>
        ChainElements.Round(index, d, s, aIn, aOut, cIn, cOut);

    /// <summary>
    /// One round, one group per (r, b): A_r, A_{r-s} (when r &gt;= 2s) and c_{r-s} are staged in dynamic shared
    /// memory (2 w^2 + w floats), then the group's threads stride over the w outputs of c and the w^2 entries of
    /// the product. Grid: L B groups of any size.
    /// </summary>
    /// <param name="d">Sizes.</param>
    /// <param name="s">The stride of this round.</param>
    /// <param name="aIn">(L, B, w, w).</param>
    /// <param name="aOut">(L, B, w, w).</param>
    /// <param name="cIn">(L, B, w).</param>
    /// <param name="cOut">(L, B, w).</param>
    public static void RoundTiled(ChainDims d, int s, ArrayView<float> aIn, ArrayView<float> aOut, ArrayView<float> cIn, ArrayView<float> cOut)
    {
        int w = d.Width, ww = w * w;
        int rb = Grid.IdxX, r = rb / d.Batch, b = rb % d.Batch;
        int t = Group.IdxX, threads = Group.DimX;
        int cRow = rb * w;
        if (r < s)
        {
            for (int i = t; i < w; i += threads) cOut[cRow + i] = cIn[cRow + i];
            return;
        }
        var shared = SharedMemory.GetDynamic<float>();
        bool compose = r >= 2 * s;
        int outer = rb * ww, inner = ((r - s) * d.Batch + b) * ww, prev = ((r - s) * d.Batch + b) * w;
        for (int e = t; e < ww; e += threads)
        {
            shared[e] = aIn[outer + e];
            if (compose) shared[ww + e] = aIn[inner + e];
        }
        for (int i = t; i < w; i += threads) shared[2 * ww + i] = cIn[prev + i];
        Group.Barrier();
        for (int i = t; i < w; i += threads)
        {
            float sum = cIn[cRow + i];
            for (int k = 0; k < w; k++) sum += shared[i * w + k] * shared[2 * ww + k];
            cOut[cRow + i] = DeviceMath.Flush(sum, DeviceMath.SmallestNormal);
        }
        if (!compose) return;
        for (int e = t; e < ww; e += threads)
        {
            int i = e / w, j = e % w;
            float sum = 0f;
            for (int k = 0; k < w; k++) sum += shared[i * w + k] * shared[ww + k * w + j];
            aOut[outer + e] = DeviceMath.Flush(sum, DeviceMath.BlockCutoff);
        }
    }
}

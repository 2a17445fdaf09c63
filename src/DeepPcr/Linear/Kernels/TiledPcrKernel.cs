using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepPcr.Linear.Kernels;

/// <summary>
/// Dense PCR rounds in the tiled layout (AVX-512): the rows n = l B + b are grouped into tiles of one vector's
/// lanes (16 float32 or 8 float64 rows), and a tile stores entry e of its rows as one vector, so entry e of row n
/// sits at <c>(n / T) E T + e T + n % T</c> (T lanes, E entries per row). A tile of 8 x 8 float32 blocks is 4 KiB,
/// contiguous: a round reads each block tile and writes each composed tile once, and the products run lane-wise with
/// whole-vector FMAs (8 rows x 2 columns of accumulators), no broadcasts and no horizontal sums.
/// Row n's partner n - sB lies in one tile when sB is a multiple of T and otherwise straddles two, whose lanes one
/// two-source permute (vpermt2ps / vpermt2pd) shifts into place in registers, as the products read them.
/// The states ping-pong between two buffers (no copy of c per round) and the rounds split their tiles over
/// <see cref="HostTeam"/>. It replaced a planar layout (entry e of every row in one plane) in the host engine: a planar
/// round streams w^2 separate planes, more than the prefetchers follow, and reached less than half of this kernel's rate in the same `deeppcr bench kernels` runs.
/// </summary>
internal static unsafe class TiledPcrKernel
{
    /// <summary>True when Vector512 and the AVX-512 permutes are hardware accelerated.</summary>
    public static bool IsSupported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    /// <summary>
    /// Multiply-adds in a round below which it runs on one thread: at (1024, 4, 1), 82 thousand a round, one thread
    /// was faster than two.
    /// </summary>
    public const long ParallelThreshold = 1 << 18;

    /// <summary>The rows per tile: one vector's lanes.</summary>
    public static int Lanes<T>() => Vector512<T>.Count;

    /// <summary>Tiles holding <paramref name="rows"/> rows.</summary>
    public static long Tiles<T>(long rows) => (rows + Vector512<T>.Count - 1) / Vector512<T>.Count;

    /// <summary>Values of a tiled buffer of <paramref name="rows"/> rows of <paramref name="entries"/> entries.</summary>
    public static long Size<T>(long rows, int entries) => Tiles<T>(rows) * entries * Vector512<T>.Count;

    /// <summary>Scratch <see cref="Solve{T}"/> needs beside its inputs: a second block buffer and a second state buffer.</summary>
    public static long ScratchFor<T>(long rows, int width) => Size<T>(rows, width * width) + Size<T>(rows, width);

    /// <summary>The offset of entry <paramref name="e"/> of row <paramref name="n"/> in a tiled buffer of E-entry rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Index<T>(long n, int e, int entries)
    {
        int lanes = Vector512<T>.Count;
        return n / lanes * entries * lanes + (long)e * lanes + n % lanes;
    }

    /// <summary>
    /// Solves z_l = A_l z_{l-1} + c_l for l = 1..L with row-major dense blocks, through copies into and out of the
    /// tiled layout (scratch leased per thread).
    /// </summary>
    /// <param name="length">L.</param>
    /// <param name="batch">B.</param>
    /// <param name="width">w.</param>
    /// <param name="a">(L, B, w, w) row-major, read only.</param>
    /// <param name="c">(L, B, w) row-major, overwritten with the solution.</param>
    /// <param name="z0">(B, w) row-major.</param>
    /// <returns>The rounds run.</returns>
    public static int SolveRowMajor<T>(int length, int batch, int width, T* a, T* c, T* z0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long rows = (long)length * batch;
        int block = width * width;
        long blocks = Size<T>(rows, block);
        using var scratch = HostScratch.Lease((blocks + RowStatesScratchFor<T>(rows, width)) * sizeof(T));
        T* tiledA = (T*)scratch.Pointer;
        TiledLayout.FromRows(a, tiledA, rows, block);
        return SolveRowStates(length, batch, width, tiledA, c, z0, tiledA + blocks);
    }

    /// <summary>Scratch <see cref="SolveRowStates{T}"/> needs: the tiled states and <see cref="ScratchFor{T}"/>.</summary>
    public static long RowStatesScratchFor<T>(long rows, int width) => Size<T>(rows, width) + ScratchFor<T>(rows, width);

    /// <summary>
    /// Solves with blocks already in the tiled layout and states row-major: the states are copied into the tiled
    /// layout and the solution back. <paramref name="a"/> is overwritten (a ping-pong buffer).
    /// </summary>
    /// <param name="length">L.</param>
    /// <param name="batch">B.</param>
    /// <param name="width">w.</param>
    /// <param name="a">Tiled (L B rows, w^2 entries), padding rows zero; overwritten.</param>
    /// <param name="c">(L, B, w) row-major, overwritten with the solution.</param>
    /// <param name="z0">(B, w) row-major.</param>
    /// <param name="scratch">At least <see cref="RowStatesScratchFor{T}"/> values, 64-byte aligned.</param>
    /// <returns>The rounds run.</returns>
    public static int SolveRowStates<T>(int length, int batch, int width, T* a, T* c, T* z0, T* scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long rows = (long)length * batch;
        T* tiledC = scratch;
        TiledLayout.FromRows(c, tiledC, rows, width);
        int rounds = Solve(length, batch, width, a, tiledC, z0, tiledC + Size<T>(rows, width));
        TiledLayout.ToRows(tiledC, c, rows, width);
        return rounds;
    }

    /// <summary>
    /// Solves z_l = A_l z_{l-1} + c_l for l = 1..L in the tiled layout. <paramref name="a"/> and <paramref name="c"/>
    /// are overwritten (ping-pong buffers); the solution is left in <paramref name="c"/>.
    /// </summary>
    /// <param name="length">L.</param>
    /// <param name="batch">B.</param>
    /// <param name="width">w.</param>
    /// <param name="a">Tiled (L B rows, w^2 entries), padding rows zero.</param>
    /// <param name="c">Tiled (L B rows, w entries).</param>
    /// <param name="z0">(B, w) row-major.</param>
    /// <param name="scratch">At least <see cref="ScratchFor{T}"/> values, 64-byte aligned.</param>
    /// <returns>The rounds run.</returns>
    public static int Solve<T>(int length, int batch, int width, T* a, T* c, T* z0, T* scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long rows = (long)length * batch;
        int block = width * width;
        FoldStart(batch, width, a, c, z0);
        T* aOther = scratch, cOther = scratch + Size<T>(rows, block);
        T* aCur = a, aNext = aOther, cCur = c, cNext = cOther;
        int rounds = 0;
        for (int s = 1; s < length; s *= 2)
        {
            RunRound(s, length, batch, width, aCur, aNext, cCur, cNext);
            T* swap = aCur;
            aCur = aNext;
            aNext = swap;
            swap = cCur;
            cCur = cNext;
            cNext = swap;
            rounds++;
        }
        if (cCur != c)
        {
            long bytes = Size<T>(rows, width) * sizeof(T);
            Buffer.MemoryCopy(cCur, c, bytes, bytes);
        }
        return rounds;
    }

    /// <summary>
    /// Round s: cNext[n] = c[n] + A[n] c[n - sB] (cNext[n] = c[n] below sB) and aNext[n] = A[n] A[n - sB] for
    /// n &gt;= 2sB, over the tiles of L B rows; rows of aNext below 2sB, which no later round reads, are left
    /// unspecified (whole tiles below 2sB are not touched). No allocation.
    /// </summary>
    /// <param name="s">The round's stride, 1 &lt;= s &lt; L.</param>
    /// <param name="length">L.</param>
    /// <param name="batch">B.</param>
    /// <param name="width">w.</param>
    /// <param name="a">Tiled blocks, read.</param>
    /// <param name="aNext">Tiled blocks, written.</param>
    /// <param name="c">Tiled states, read.</param>
    /// <param name="cNext">Tiled states, written.</param>
    public static void RunRound<T>(int s, int length, int batch, int width, T* a, T* aNext, T* c, T* cNext)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long rows = (long)length * batch, back = (long)s * batch;
        long work = (rows - back) * width * width * (rows > 2 * back ? width + 1 : 1);
        bool parallel = work >= ParallelThreshold && HostTeam.Parts > 1;
        switch (width)
        {
            case 4: Run(new Round<T, BlockWidth4>(default, a, aNext, c, cNext, rows, back), parallel); break;
            case 8: Run(new Round<T, BlockWidth8>(default, a, aNext, c, cNext, rows, back), parallel); break;
            case 16: Run(new Round<T, BlockWidth16>(default, a, aNext, c, cNext, rows, back), parallel); break;
            default: Run(new Round<T, BlockWidth>(new BlockWidth(width), a, aNext, c, cNext, rows, back), parallel); break;
        }
    }

    private static void Run<TJob>(TJob round, bool parallel) where TJob : ITeamJob
    {
        if (parallel) HostTeam.Run(round);
        else round.Run(0, 1);
    }

    /// <summary>
    /// The block width w as a type, so that the common widths compile to loops with constant trip counts and
    /// constant strides; any other width is read at run time.
    /// </summary>
    private interface IBlockWidth
    {
        /// <summary>w.</summary>
        int Value { get; }
    }

    private readonly struct BlockWidth4 : IBlockWidth
    {
        public int Value => 4;
    }

    private readonly struct BlockWidth8 : IBlockWidth
    {
        public int Value => 8;
    }

    private readonly struct BlockWidth16 : IBlockWidth
    {
        public int Value => 16;
    }

    /// <summary>A width known only at run time.</summary>
    private readonly struct BlockWidth(int value) : IBlockWidth
    {
        public int Value => value;
    }

    /// <summary>c_1 += A_1 z_0 for every sample (rows n = 0..B-1).</summary>
    private static void FoldStart<T>(int batch, int width, T* a, T* c, T* z0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T normal = Limits<T>.SmallestNormal;
        int block = width * width;
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < width; i++)
            {
                T sum = c[Index<T>(b, i, width)];
                for (int j = 0; j < width; j++) sum += a[Index<T>(b, i * width + j, block)] * z0[b * width + j];
                c[Index<T>(b, i, width)] = T.Abs(sum) < normal ? T.Zero : sum;
            }
        }
    }

    /// <summary>One round's buffers; <see cref="Run"/> does a contiguous share of its tiles.</summary>
    private readonly struct Round<T, TWidth>(TWidth size, T* a, T* aNext, T* c, T* cNext, long rows, long back) : ITeamJob
        where T : unmanaged, IFloatingPointIeee754<T>
        where TWidth : struct, IBlockWidth
    {
        private static int L => Vector512<T>.Count;

        private int width => size.Value;

        public void Run(int part, int parts)
        {
            long tiles = Tiles<T>(rows);
            long from = tiles * part / parts, to = tiles * (part + 1) / parts;
            int block = width * width;
            long q = back / L;
            int r = (int)(back % L);
            var index = ShiftIndex(r);
            var normal = Vector512.Create(Limits<T>.SmallestNormal);
            var cutoff = Vector512.Create(Limits<T>.Cutoff);
            for (long t = from; t < to; t++)
            {
                long first = t * L;
                T* self = a + t * block * L, composed = aNext + t * block * L, cTile = c + t * width * L, cOut = cNext + t * width * L;
                bool apply = first + L > back, compose = first + L > 2 * back;
                // Blocks: tiles with rows at or past 2sB in vectors; the lanes below 2sB of the tile holding row 2sB
                // get values that no later round reads. States: tiles with rows at or past sB in vectors, in the
                // product's first column pair when the tile has both (its blocks are then read once), earlier tiles
                // copied.
                T* highStates = c + (t - q) * width * L;
                T* lowStates = t - q > 0 ? highStates - width * L : highStates; // tile -1 feeds only lanes below sB
                T* highBlocks = a + (t - q) * block * L;
                T* lowBlocks = t - q > 0 ? highBlocks - block * L : highBlocks;
                if (compose && width > 1)
                {
                    if (r == 0)
                    {
                        ComposeTile(self, new AlignedRows(highBlocks), composed, cutoff,
                            new StateUpdate<AlignedRows>(cTile, cOut, new AlignedRows(highStates), normal));
                    }
                    else
                    {
                        ComposeTile(self, new ShiftedRows(lowBlocks, highBlocks, index), composed, cutoff,
                            new StateUpdate<ShiftedRows>(cTile, cOut, new ShiftedRows(lowStates, highStates, index), normal));
                    }
                }
                else
                {
                    if (apply && r == 0) ApplyTile(self, new AlignedRows(highStates), cTile, cOut, normal);
                    else if (apply) ApplyTile(self, new ShiftedRows(lowStates, highStates, index), cTile, cOut, normal);
                    if (compose && r == 0) ComposeTile(self, new AlignedRows(highBlocks), composed, cutoff, default(NoStateUpdate));
                    else if (compose) ComposeTile(self, new ShiftedRows(lowBlocks, highBlocks, index), composed, cutoff, default(NoStateUpdate));
                }
                if (!apply)
                {
                    long bytes = (long)width * L * sizeof(T);
                    Buffer.MemoryCopy(cTile, cOut, bytes, bytes);
                }
                else if (first < back)
                {
                    KeepLanes(cTile, cOut, width, (int)(back - first));
                }
            }
        }

        /// <summary>
        /// The state update cOut = c + A x of a tile, optionally computed inside its block product's first column
        /// pair (the products read each block entry once for both). A strategy type, so that each case compiles to
        /// its own loop.
        /// </summary>
        private interface IStateUpdate
        {
            /// <summary>True when the product computes the state update.</summary>
            bool Fused { get; }

            /// <summary>Row i of c, the update's start.</summary>
            Vector512<T> Start(int i);

            /// <summary>Entry k of the partner states.</summary>
            Vector512<T> Partner(int k);

            /// <summary>Stores row i of cOut, flushed at the smallest normal.</summary>
            void Store(int i, Vector512<T> value);
        }

        /// <summary>No state update in the product (the states are updated elsewhere or not at all).</summary>
        private readonly struct NoStateUpdate : IStateUpdate
        {
            public bool Fused => false;

            public Vector512<T> Start(int i) => default;

            public Vector512<T> Partner(int k) => default;

            public void Store(int i, Vector512<T> value) { }
        }

        /// <summary>The state update of one tile: c and cOut the state tiles, partner the partner states.</summary>
        private readonly struct StateUpdate<TRows>(T* c, T* cOut, TRows partner, Vector512<T> normal) : IStateUpdate
            where TRows : struct, IPartnerRows
        {
            public bool Fused => true;

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector512<T> Start(int i) => Vector512.Load(c + i * L);

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector512<T> Partner(int k) => partner.Load(k * L);

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public void Store(int i, Vector512<T> value) => SimdMath.Flushed(value, normal).Store(cOut + i * L);
        }

        /// <summary>Lanes below <paramref name="count"/> of the state tile <paramref name="output"/> take their values from <paramref name="source"/>.</summary>
        private static void KeepLanes(T* source, T* output, int width, int count)
        {
            Vector512<T> mask = typeof(T) == typeof(float)
                ? Vector512.LessThan(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(count)).As<int, T>()
                : Vector512.LessThan(Vector512.Create(0L, 1, 2, 3, 4, 5, 6, 7), Vector512.Create((long)count)).As<long, T>();
            for (int i = 0; i < width; i++)
            {
                Vector512.ConditionalSelect(mask, Vector512.Load(source + i * L), Vector512.Load(output + i * L)).Store(output + i * L);
            }
        }

        /// <summary>The lane permutation that moves rows n - sB into place when sB = q T + r, r &gt; 0.</summary>
        private static Vector512<T> ShiftIndex(int r)
        {
            if (typeof(T) == typeof(float))
            {
                return (Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) + Vector512.Create(16 - r)).As<int, T>();
            }
            return (Vector512.Create(0L, 1, 2, 3, 4, 5, 6, 7) + Vector512.Create(8L - r)).As<long, T>();
        }

        /// <summary>
        /// Where the partner rows tT - sB .. of tile t are read: one tile when sB is a multiple of T, else the
        /// lanes of two neighbouring tiles. A strategy type, so that each case compiles to its own loop.
        /// </summary>
        private interface IPartnerRows
        {
            /// <summary>Entry <paramref name="offset"/> / T of the partner rows, as one vector.</summary>
            Vector512<T> Load(long offset);
        }

        /// <summary>Partner rows that fill tile t - q exactly (r = 0).</summary>
        private readonly struct AlignedRows(T* tile) : IPartnerRows
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector512<T> Load(long offset) => Vector512.Load(tile + offset);
        }

        /// <summary>
        /// Partner rows split over tiles t - q - 1 and t - q (r &gt; 0): one two-source permute (vpermt2ps /
        /// vpermt2pd) per entry, in registers, as the product reads it.
        /// </summary>
        private readonly struct ShiftedRows(T* low, T* high, Vector512<T> index) : IPartnerRows
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector512<T> Load(long offset)
            {
                if (typeof(T) == typeof(float))
                {
                    return Avx512F.PermuteVar16x32x2(Vector512.Load(low + offset).AsSingle(), index.AsInt32(), Vector512.Load(high + offset).AsSingle()).As<float, T>();
                }
                return Avx512F.PermuteVar8x64x2(Vector512.Load(low + offset).AsDouble(), index.AsInt64(), Vector512.Load(high + offset).AsDouble()).As<double, T>();
            }
        }

        /// <summary>cOut = c + A x for one tile (x the partner states), flushed at the smallest normal.</summary>
        private void ApplyTile<TRows>(T* blocks, TRows x, T* cTile, T* cOut, Vector512<T> limit) where TRows : struct, IPartnerRows
        {
            // Each partner entry is read by every output row: load (and permute) it once.
            Span<Vector512<T>> column = stackalloc Vector512<T>[width];
            for (int j = 0; j < width; j++) column[j] = x.Load(j * L);
            for (int i = 0; i < width; i++)
            {
                T* row = blocks + i * width * L;
                var acc0 = Vector512.Load(cTile + i * L);
                var acc1 = Vector512<T>.Zero;
                int j = 0;
                for (; j + 1 < width; j += 2)
                {
                    acc0 = SimdMath.Fma(Vector512.Load(row + j * L), column[j], acc0);
                    acc1 = SimdMath.Fma(Vector512.Load(row + (j + 1) * L), column[j + 1], acc1);
                }
                if (j < width) acc0 = SimdMath.Fma(Vector512.Load(row + j * L), column[j], acc0);
                SimdMath.Flushed(acc0 + acc1, limit).Store(cOut + i * L);
            }
        }

        /// <summary>
        /// outTile = self partner, tile-wise: 8 x 2, 4 x 2 and 1 x 2 accumulator blocks, then an odd last column; the
        /// first column pair also runs <paramref name="state"/>'s update (w &gt;= 2).
        /// </summary>
        private void ComposeTile<TRows, TState>(T* self, TRows partner, T* output, Vector512<T> limit, TState state)
            where TRows : struct, IPartnerRows
            where TState : struct, IStateUpdate
        {
            int j = 0;
            for (; j + 1 < width; j += 2)
            {
                if (j == 0) ComposePair(self, partner, output, j, limit, state);
                else ComposePair(self, partner, output, j, limit, default(NoStateUpdate));
            }
            if (j < width)
            {
                for (int i = 0; i < width; i++) Compose1x1(self, partner, output, i, j, limit);
            }
        }

        /// <summary>Columns j and j + 1 of the product for every row.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void ComposePair<TRows, TState>(T* self, TRows partner, T* output, int j, Vector512<T> limit, TState state)
            where TRows : struct, IPartnerRows
            where TState : struct, IStateUpdate
        {
            int i = 0;
            for (; i + 8 <= width; i += 8) Compose8x2(self, partner, output, i, j, limit, state);
            for (; i + 4 <= width; i += 4) Compose4x2(self, partner, output, i, j, limit, state);
            for (; i < width; i++) Compose1x2(self, partner, output, i, j, limit, state);
        }

        private void Compose8x2<TRows, TState>(T* self, TRows partner, T* output, int i, int j, Vector512<T> limit, TState state)
            where TRows : struct, IPartnerRows
            where TState : struct, IStateUpdate
        {
            Vector512<T> p0 = default, p1 = default, p2 = default, p3 = default, p4 = default, p5 = default, p6 = default, p7 = default;
            Vector512<T> q0 = default, q1 = default, q2 = default, q3 = default, q4 = default, q5 = default, q6 = default, q7 = default;
            Vector512<T> u0 = state.Start(i), u1 = state.Start(i + 1), u2 = state.Start(i + 2), u3 = state.Start(i + 3);
            Vector512<T> u4 = state.Start(i + 4), u5 = state.Start(i + 5), u6 = state.Start(i + 6), u7 = state.Start(i + 7);
            long rowStep = (long)width * L;
            T* rows = self + i * rowStep;
            long column = j * L;
            for (int k = 0; k < width; k++, rows += L, column += rowStep)
            {
                var x = partner.Load(column);
                var y = partner.Load(column + L);
                var z = state.Partner(k);
                Step4x2(rows, rowStep, x, y, ref p0, ref p1, ref p2, ref p3, ref q0, ref q1, ref q2, ref q3, state, z, ref u0, ref u1, ref u2, ref u3);
                Step4x2(rows + 4 * rowStep, rowStep, x, y, ref p4, ref p5, ref p6, ref p7, ref q4, ref q5, ref q6, ref q7, state, z, ref u4, ref u5, ref u6, ref u7);
            }
            T* o = output + i * rowStep + j * L;
            Store4x2(o, rowStep, limit, p0, p1, p2, p3, q0, q1, q2, q3);
            Store4x2(o + 4 * rowStep, rowStep, limit, p4, p5, p6, p7, q4, q5, q6, q7);
            Store4(state, i, u0, u1, u2, u3);
            Store4(state, i + 4, u4, u5, u6, u7);
        }

        private void Compose4x2<TRows, TState>(T* self, TRows partner, T* output, int i, int j, Vector512<T> limit, TState state)
            where TRows : struct, IPartnerRows
            where TState : struct, IStateUpdate
        {
            Vector512<T> p0 = default, p1 = default, p2 = default, p3 = default, q0 = default, q1 = default, q2 = default, q3 = default;
            Vector512<T> u0 = state.Start(i), u1 = state.Start(i + 1), u2 = state.Start(i + 2), u3 = state.Start(i + 3);
            long rowStep = (long)width * L;
            T* rows = self + i * rowStep;
            long column = j * L;
            for (int k = 0; k < width; k++, rows += L, column += rowStep)
            {
                Step4x2(rows, rowStep, partner.Load(column), partner.Load(column + L), ref p0, ref p1, ref p2, ref p3, ref q0, ref q1, ref q2, ref q3,
                    state, state.Partner(k), ref u0, ref u1, ref u2, ref u3);
            }
            Store4x2(output + i * rowStep + j * L, rowStep, limit, p0, p1, p2, p3, q0, q1, q2, q3);
            Store4(state, i, u0, u1, u2, u3);
        }

        /// <summary>
        /// One k of a 4 x 2 product: entry k of 4 self rows times the partner entries (k, j) = x and (k, j + 1) = y,
        /// and, when the state update is fused, times the partner state entry k = z.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Step4x2<TState>(T* rows, long rowStep, Vector512<T> x, Vector512<T> y,
            ref Vector512<T> p0, ref Vector512<T> p1, ref Vector512<T> p2, ref Vector512<T> p3,
            ref Vector512<T> q0, ref Vector512<T> q1, ref Vector512<T> q2, ref Vector512<T> q3,
            TState state, Vector512<T> z, ref Vector512<T> u0, ref Vector512<T> u1, ref Vector512<T> u2, ref Vector512<T> u3)
            where TState : struct, IStateUpdate
        {
            var a0 = Vector512.Load(rows); var a1 = Vector512.Load(rows + rowStep);
            var a2 = Vector512.Load(rows + 2 * rowStep); var a3 = Vector512.Load(rows + 3 * rowStep);
            p0 = SimdMath.Fma(a0, x, p0); q0 = SimdMath.Fma(a0, y, q0);
            p1 = SimdMath.Fma(a1, x, p1); q1 = SimdMath.Fma(a1, y, q1);
            p2 = SimdMath.Fma(a2, x, p2); q2 = SimdMath.Fma(a2, y, q2);
            p3 = SimdMath.Fma(a3, x, p3); q3 = SimdMath.Fma(a3, y, q3);
            if (state.Fused)
            {
                u0 = SimdMath.Fma(a0, z, u0); u1 = SimdMath.Fma(a1, z, u1);
                u2 = SimdMath.Fma(a2, z, u2); u3 = SimdMath.Fma(a3, z, u3);
            }
        }

        /// <summary>Stores a 4 x 2 block of results (columns j, j + 1 of 4 rows), flushed.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store4x2(T* o, long rowStep, Vector512<T> limit,
            Vector512<T> p0, Vector512<T> p1, Vector512<T> p2, Vector512<T> p3,
            Vector512<T> q0, Vector512<T> q1, Vector512<T> q2, Vector512<T> q3)
        {
            SimdMath.Flushed(p0, limit).Store(o); SimdMath.Flushed(q0, limit).Store(o + L); o += rowStep;
            SimdMath.Flushed(p1, limit).Store(o); SimdMath.Flushed(q1, limit).Store(o + L); o += rowStep;
            SimdMath.Flushed(p2, limit).Store(o); SimdMath.Flushed(q2, limit).Store(o + L); o += rowStep;
            SimdMath.Flushed(p3, limit).Store(o); SimdMath.Flushed(q3, limit).Store(o + L);
        }

        /// <summary>Stores state rows i..i+3 when the state update is fused.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store4<TState>(TState state, int i, Vector512<T> u0, Vector512<T> u1, Vector512<T> u2, Vector512<T> u3)
            where TState : struct, IStateUpdate
        {
            if (!state.Fused) return;
            state.Store(i, u0); state.Store(i + 1, u1); state.Store(i + 2, u2); state.Store(i + 3, u3);
        }

        private void Compose1x2<TRows, TState>(T* self, TRows partner, T* output, int i, int j, Vector512<T> limit, TState state)
            where TRows : struct, IPartnerRows
            where TState : struct, IStateUpdate
        {
            Vector512<T> p = default, q = default, u = state.Start(i);
            long rowStep = (long)width * L;
            T* row = self + i * rowStep;
            long column = j * L;
            for (int k = 0; k < width; k++, row += L, column += rowStep)
            {
                var a0 = Vector512.Load(row);
                p = SimdMath.Fma(a0, partner.Load(column), p);
                q = SimdMath.Fma(a0, partner.Load(column + L), q);
                if (state.Fused) u = SimdMath.Fma(a0, state.Partner(k), u);
            }
            T* o = output + i * rowStep + j * L;
            SimdMath.Flushed(p, limit).Store(o);
            SimdMath.Flushed(q, limit).Store(o + L);
            if (state.Fused) state.Store(i, u);
        }

        private void Compose1x1<TRows>(T* self, TRows partner, T* output, int i, int j, Vector512<T> limit) where TRows : struct, IPartnerRows
        {
            Vector512<T> p = default;
            long rowStep = (long)width * L;
            T* row = self + i * rowStep;
            long column = j * L;
            for (int k = 0; k < width; k++, row += L, column += rowStep) p = SimdMath.Fma(Vector512.Load(row), partner.Load(column), p);
            SimdMath.Flushed(p, limit).Store(output + i * rowStep + j * L);
        }
    }
}

using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using DeepPcr.Linear;

namespace DeepPcr.Recurrent;

/// <summary>
/// A recurrent cell on host memory, float32 or float64: rows (t, b) of states z (width w = H, or 2H as [h; c]) and input
/// projections P (G·H per row) in, new states (and optionally the Jacobian in the declared structure's planar layout, or
/// the pre-activation cotangents for the gradients) out. The parameters are read once, into this object: W_hh
/// transposed for the recurrent product (one vectorised axpy per input unit), W_hh as is for the Jacobian rows, b_hh.
/// Rows are processed in blocks whose gate pre-activations are laid out gate by gate, so that each activation is one
/// vectorised TensorPrimitives call over the block; the sequential loop is the same code with one block of B rows per
/// time step.
/// </summary>
internal sealed unsafe class RecurrentKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Rows per block of the parallel evaluation.</summary>
    private const int BlockRows = 64;

    private readonly RecurrentCell cell;
    private readonly int hidden, gates, width, gateWidth;
    private readonly bool diagonal, gru;
    private readonly T[] transposed, weights, bias;

    /// <summary>The kernel of a cell with weight_hh <paramref name="weightHh"/> ([G·H, H] or [G·H]) and bias_hh (or empty).</summary>
    public RecurrentKernel(RecurrentCell cell, int hidden, ReadOnlySpan<T> weightHh, ReadOnlySpan<T> biasHh)
    {
        this.cell = cell;
        this.hidden = hidden;
        gates = RecurrentCells.Gates(cell);
        width = RecurrentCells.StateWidth(cell, hidden);
        gateWidth = gates * hidden;
        diagonal = RecurrentCells.HasDiagonalRecurrence(cell);
        gru = cell is RecurrentCell.Gru or RecurrentCell.GruDiag;
        weights = weightHh.ToArray();
        bias = biasHh.IsEmpty ? new T[gateWidth] : biasHh.ToArray();
        transposed = new T[weights.Length];
        if (diagonal) return;
        for (int e = 0; e < gateWidth; e++)
        {
            for (int j = 0; j < hidden; j++) transposed[j * gateWidth + e] = weights[e * hidden + j];
        }
    }

    /// <summary>Scratch for blocks of up to <paramref name="rows"/> rows.</summary>
    public Scratch NewScratch(int rows) => new(rows, gateWidth, hidden);

    /// <summary>
    /// Evaluates <paramref name="rows"/> rows: outputs[r] = f(states[r], projections[r]); when <paramref name="jacobian"/> is
    /// not null, also df/dz in the planar layout of the declared structure (entry e of row r at jacobian[e stride + r]).
    /// Large calls are split over the host threads.
    /// </summary>
    public void Evaluate(long rows, T* states, T* projections, T* outputs, T* jacobian, long stride)
    {
        int parts = (int)Math.Clamp(rows / (4 * BlockRows), 1, HostThreads.Limit);
        long per = (rows + parts - 1) / parts;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
        {
            var scratch = NewScratch(BlockRows);
            long end = Math.Min(rows, (part + 1) * per);
            for (long r = part * per; r < end; r += BlockRows)
            {
                int count = (int)Math.Min(BlockRows, end - r);
                Block(scratch, count, states + r * width, projections + r * gateWidth, outputs + r * width);
                if (jacobian != null) WriteJacobian(scratch, count, states + r * width, jacobian + r, stride);
            }
        });
    }

    /// <summary>
    /// The pre-activation cotangents of <paramref name="rows"/> rows for output cotangents lambda (rows, w): dP (rows, G·H)
    /// = dLoss/dP and dQ (rows, G·H) = dLoss/dQ, Q = W_hh h + b_hh (they differ only in GRU's n gate, dQ_n = r ⊙ dP_n).
    /// </summary>
    public void Cotangents(long rows, T* states, T* projections, T* lambda, T* dP, T* dQ)
    {
        var scratch = NewScratch(BlockRows);
        var outputs = new T[BlockRows * width];
        fixed (T* o = outputs)
        {
            for (long r = 0; r < rows; r += BlockRows)
            {
                int count = (int)Math.Min(BlockRows, rows - r);
                Block(scratch, count, states + r * width, projections + r * gateWidth, o);
                WriteCotangents(scratch, count, states + r * width, lambda + r * width, dP + r * gateWidth, dQ + r * gateWidth);
            }
        }
    }

    /// <summary>The sequential pass: states[k] = f(states[k - 1], projections[k]) for k &lt; count, blocks of B rows.</summary>
    public void Sequential(int count, int batch, T* start, T* projections, T* states)
    {
        var scratch = NewScratch(batch);
        long rowSize = (long)batch * width;
        for (int k = 0; k < count; k++)
        {
            Block(scratch, batch, k == 0 ? start : states + (k - 1) * rowSize, projections + k * batch * gateWidth, states + k * rowSize);
        }
    }

    /// <summary>Gate activations (gate-major in the scratch) and new states of a block of rows.</summary>
    private void Block(Scratch s, int rows, T* z, T* p, T* outputs)
    {
        int h = hidden, n = rows * h;
        fixed (T* act = s.Activations, q = s.Recurrent, extra = s.Extra, wt = transposed, w = weights, b = bias)
        {
            for (int r = 0; r < rows; r++) Recurrence(z + r * width, q + r * gateWidth, wt, w, b);
            // Pre-activations, gate-major: act[(g rows + r) H + m]; GRU's n gate holds P_n for now and keeps Q_n aside.
            for (int r = 0; r < rows; r++)
            {
                T* pr = p + r * gateWidth, qr = q + r * gateWidth;
                for (int g = 0; g < gates; g++)
                {
                    T* target = act + (g * rows + r) * h;
                    if (gru && g == 2)
                    {
                        new Span<T>(pr + 2 * h, h).CopyTo(new Span<T>(target, h));
                        new Span<T>(qr + 2 * h, h).CopyTo(new Span<T>(extra + r * h, h));
                        continue;
                    }
                    TensorPrimitives.Add(new ReadOnlySpan<T>(pr + g * h, h), new ReadOnlySpan<T>(qr + g * h, h), new Span<T>(target, h));
                }
            }
            var all = new Span<T>(act, gates * n);
            switch (cell)
            {
                case RecurrentCell.Gru:
                case RecurrentCell.GruDiag:
                {
                    TensorPrimitives.Sigmoid(all.Slice(0, 2 * n), all.Slice(0, 2 * n));
                    var nGate = all.Slice(2 * n, n);
                    TensorPrimitives.FusedMultiplyAdd(all.Slice(0, n), new ReadOnlySpan<T>(extra, n), nGate, nGate);  // P_n + r ⊙ Q_n
                    TensorPrimitives.Tanh(nGate, nGate);
                    T* u = act + n, nn = act + 2 * n;
                    for (int r = 0; r < rows; r++)
                    {
                        T* zr = z + r * width, outr = outputs + r * width;
                        int o = r * h;
                        for (int m = 0; m < h; m++) outr[m] = nn[o + m] + u[o + m] * (zr[m] - nn[o + m]);
                    }
                    break;
                }
                default:
                {
                    bool lstm = cell == RecurrentCell.Lstm;
                    int fGate = lstm ? 1 : 0, gGate = lstm ? 2 : 1, oGate = lstm ? 3 : 2;
                    TensorPrimitives.Sigmoid(all.Slice(0, gGate * n), all.Slice(0, gGate * n));
                    TensorPrimitives.Tanh(all.Slice(gGate * n, n), all.Slice(gGate * n, n));
                    TensorPrimitives.Sigmoid(all.Slice(oGate * n, n), all.Slice(oGate * n, n));
                    T* f = act + fGate * n, g = act + gGate * n, og = act + oGate * n, i = act, cn = extra, tc = extra + n;
                    for (int r = 0; r < rows; r++)
                    {
                        T* c = z + r * width + h;
                        int o = r * h;
                        for (int m = 0; m < h; m++)
                        {
                            T input = lstm ? i[o + m] : T.One - f[o + m];
                            cn[o + m] = f[o + m] * c[m] + input * g[o + m];
                        }
                    }
                    TensorPrimitives.Tanh(new ReadOnlySpan<T>(cn, n), new Span<T>(tc, n));
                    for (int r = 0; r < rows; r++)
                    {
                        T* outr = outputs + r * width;
                        int o = r * h;
                        for (int m = 0; m < h; m++)
                        {
                            outr[m] = og[o + m] * tc[o + m];
                            outr[h + m] = cn[o + m];
                        }
                    }
                    break;
                }
            }
        }
    }

    /// <summary>q = W_hh h + b_hh for one row (h the first H entries of z).</summary>
    private void Recurrence(T* z, T* q, T* wt, T* w, T* b)
    {
        int h = hidden, gw = gateWidth;
        if (diagonal)
        {
            for (int g = 0; g < gates; g++)
            {
                TensorPrimitives.FusedMultiplyAdd(new ReadOnlySpan<T>(w + g * h, h), new ReadOnlySpan<T>(z, h), new ReadOnlySpan<T>(b + g * h, h), new Span<T>(q + g * h, h));
            }
            return;
        }
        new Span<T>(b, gw).CopyTo(new Span<T>(q, gw));
        for (int j = 0; j < h; j++) Axpy(z[j], wt + j * gw, q, gw);
    }

    /// <summary>y += a x over n entries.</summary>
    private static void Axpy(T a, T* x, T* y, int n)
    {
        int e = 0;
        if (Vector256.IsHardwareAccelerated && n >= Vector256<T>.Count)
        {
            var av = Vector256.Create(a);
            for (; e + Vector256<T>.Count <= n; e += Vector256<T>.Count)
            {
                Linear.Kernels.SimdMath.Fma(av, Vector256.Load(x + e), Vector256.Load(y + e)).Store(y + e);
            }
        }
        for (; e < n; e++) y[e] = T.FusedMultiplyAdd(a, x[e], y[e]);
    }

    /// <summary>
    /// The unit sensitivities of row r, unit m, after <see cref="Block"/>: s[o G + g] = d out_o / d Q_g (o = 0 for h', 1 for
    /// c'), s[2G + o] = d out_o / d c, s[2G + 2] = the direct d h' / d h (GRU: z), s[2G + 3] = d h' / d P_n (GRU).
    /// </summary>
    private void Sensitivities(Scratch scratch, int rows, int r, int m, T* z, Span<T> s)
    {
        int h = hidden, n = rows * h, k = r * h + m, G = gates;
        var act = scratch.Activations;
        var extra = scratch.Extra;
        T one = T.One;
        s.Clear();
        if (gru)
        {
            T rg = act[k], u = act[n + k], nn = act[2 * n + k], hv = z[r * width + m];
            T a = (one - u) * (one - nn * nn);
            s[0] = a * extra[k] * rg * (one - rg);
            s[1] = (hv - nn) * u * (one - u);
            s[2] = a * rg;
            s[2 * G + 2] = u;
            s[2 * G + 3] = a;
            return;
        }
        bool lstm = cell == RecurrentCell.Lstm;
        T c = z[r * width + h + m], tc = extra[n + k];
        T f = act[(lstm ? 1 : 0) * n + k], g = act[(lstm ? 2 : 1) * n + k], o = act[(lstm ? 3 : 2) * n + k];
        T through = o * (one - tc * tc);
        if (lstm)
        {
            T i = act[k];
            s[G + 0] = g * i * (one - i);
            s[G + 1] = c * f * (one - f);
            s[G + 2] = i * (one - g * g);
        }
        else
        {
            s[G + 0] = (c - g) * f * (one - f);
            s[G + 1] = (one - f) * (one - g * g);
        }
        for (int gate = 0; gate < G - 1; gate++) s[gate] = through * s[G + gate];
        s[G - 1] = tc * o * (one - o);
        s[2 * G] = through * f;
        s[2 * G + 1] = f;
    }

    /// <summary>df/dz of a block in the planar layout of the declared structure (lanes from <paramref name="jacobian"/>).</summary>
    private void WriteJacobian(Scratch scratch, int rows, T* z, T* jacobian, long stride)
    {
        int h = hidden, G = gates, outs = gru ? 1 : 2;
        Span<T> s = stackalloc T[2 * G + 4];
        fixed (T* w = weights)
        {
            for (int r = 0; r < rows; r++)
            {
                T* lane = jacobian + r;
                for (int m = 0; m < h; m++)
                {
                    Sensitivities(scratch, rows, r, m, z, s);
                    for (int o = 0; o < outs; o++)
                    {
                        T direct = o == 0 ? s[2 * G + 2] : T.Zero;
                        if (diagonal)
                        {
                            T sum = direct;
                            for (int g = 0; g < G; g++) sum += s[o * G + g] * w[g * h + m];
                            if (gru)
                            {
                                lane[m * stride] = sum;
                                continue;
                            }
                            lane[((o * 2) * h + m) * stride] = sum;
                            lane[((o * 2 + 1) * h + m) * stride] = s[2 * G + o];
                            continue;
                        }
                        long row = (long)(o * h + m) * width;
                        for (int j = 0; j < h; j++)
                        {
                            T sum = j == m ? direct : T.Zero;
                            for (int g = 0; g < G; g++) sum += s[o * G + g] * w[(g * h + m) * h + j];
                            lane[(row + j) * stride] = sum;
                        }
                        if (gru) continue;
                        for (int j = 0; j < h; j++) lane[(row + h + j) * stride] = j == m ? s[2 * G + o] : T.Zero;
                    }
                }
            }
        }
    }

    /// <summary>dP and dQ of a block from the output cotangents.</summary>
    private void WriteCotangents(Scratch scratch, int rows, T* z, T* lambda, T* dP, T* dQ)
    {
        int h = hidden, G = gates;
        Span<T> s = stackalloc T[2 * G + 4];
        for (int r = 0; r < rows; r++)
        {
            for (int m = 0; m < h; m++)
            {
                Sensitivities(scratch, rows, r, m, z, s);
                T lh = lambda[r * width + m], lc = gru ? T.Zero : lambda[r * width + h + m];
                for (int g = 0; g < G; g++)
                {
                    T q = lh * s[g] + lc * s[G + g];
                    dQ[r * gateWidth + g * h + m] = q;
                    dP[r * gateWidth + g * h + m] = gru && g == 2 ? lh * s[2 * G + 3] : q;
                }
            }
        }
    }

    /// <summary>Per-thread buffers of a block: gate activations (G·R·H), recurrent pre-activations (R·G·H), and (R·H each)
    /// GRU's Q_n, or the LSTMs' c' and tanh(c').</summary>
    internal sealed class Scratch(int rows, int gateWidth, int hidden)
    {
        public readonly T[] Activations = new T[rows * gateWidth];
        public readonly T[] Recurrent = new T[rows * gateWidth];
        public readonly T[] Extra = new T[2 * rows * hidden];
    }
}

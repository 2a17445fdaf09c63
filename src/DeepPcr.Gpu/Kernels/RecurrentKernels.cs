using ILGPU;
using ILGPU.Algorithms;

namespace DeepPcr.Gpu.Kernels;

/// <summary>
/// The kernels of the recurrent engine (diagonal cells, <see cref="Recurrent.RecurrentCell"/>): the input projection
/// for all T steps before the solve (a batched matmul), the evaluation of every step at the current iterate with its
/// Jacobian block, the sequential pass (one thread per sample and unit walking t: the baseline and the fallback),
/// the adjoint blocks, the sequential adjoint, and the gradients. Layouts in <see cref="RecurrentDims"/>.
/// </summary>
public static class RecurrentKernels
{
    /// <summary>(t, b) rows per partial sum of the parameter gradients.</summary>
    public const int ChunkRows = 4096;

    /// <summary>Projected[t, b, g] = b_ih[g] + W_ih[g, :] x[t, b, :]. Index space: T B 3H.</summary>
    /// <param name="index">Flat (t, b, g).</param>
    /// <param name="d">Sizes.</param>
    /// <param name="v">The workspace's views.</param>
    public static void Project(Index1D index, RecurrentDims d, RecurrentViews v)
    {
        int g = index % d.GateRows, row = index / d.GateRows;
        float sum = v.BiasIh[g];
        for (int j = 0; j < d.InputSize; j++) sum += v.WeightIh[g * d.InputSize + j] * v.Input[row * d.InputSize + j];
        v.Projected[index] = sum;
    }

    /// <summary>
    /// Every step at the iterate <paramref name="states"/>, one thread per (t, b, i): Outputs = f_t(z_{t-1}), the unit's
    /// k x k block A_t into BlocksA, and the right-hand side into RhsA: the correction form's residual f_t(z_{t-1}) - z_t
    /// (<paramref name="deer"/> = 0), or the DEER form's f_t(z_{t-1}) - A_t z_{t-1} (1; f_0 at t = 0, where z_{-1} is the
    /// known initial state, folded in). Index space: T B H.
    /// </summary>
    /// <param name="index">Flat (t, b, i).</param>
    /// <param name="d">Sizes.</param>
    /// <param name="v">The workspace's views.</param>
    /// <param name="states">(T, B, S): the iterate.</param>
    /// <param name="deer">0 correction form, 1 DEER form.</param>
    public static void Evaluate(Index1D index, RecurrentDims d, RecurrentViews v, ArrayView<float> states, int deer)
    {
        int i = index % d.Hidden, tb = index / d.Hidden, b = tb % d.Batch, t = tb / d.Batch;
        float h = CellElements.Previous(d, v.Initial, states, t, b, 0, i);
        float c = d.BlockSize == 2 ? CellElements.Previous(d, v.Initial, states, t, b, 1, i) : 0f;
        var step = CellElements.Step(d, v, t, b, i, h, c);
        int hAt = tb * d.StateWidth + i, block = index * d.BlockSize * d.BlockSize;
        v.Outputs[hAt] = step.H;
        if (d.BlockSize == 1)
        {
            v.BlocksA[block] = step.A00;
            v.RhsA[hAt] = deer == 0 ? step.H - states[hAt] : t == 0 ? step.H : step.H - step.A00 * h;
            return;
        }
        int cAt = hAt + d.Hidden;
        v.Outputs[cAt] = step.C;
        v.BlocksA[block] = step.A00;
        v.BlocksA[block + 1] = step.A01;
        v.BlocksA[block + 2] = step.A10;
        v.BlocksA[block + 3] = step.A11;
        if (deer == 0)
        {
            v.RhsA[hAt] = step.H - states[hAt];
            v.RhsA[cAt] = step.C - states[cAt];
        }
        else
        {
            v.RhsA[hAt] = t == 0 ? step.H : step.H - step.A00 * h - step.A01 * c;
            v.RhsA[cAt] = t == 0 ? step.C : step.C - step.A10 * h - step.A11 * c;
        }
    }

    /// <summary>
    /// One PCR round of a BlockDiagonal(k) chain, one thread per (r, b, i): c_r += A_r c_{r-s} for r &gt;= s (copied
    /// below), and A_r A_{r-s} for r &gt;= 2s, with the unit's k x k blocks (k = 1: scalars). Flushing as the dense
    /// round (<see cref="ChainElements.Round"/>). Index space: T B H.
    /// </summary>
    /// <param name="index">Flat (r, b, i).</param>
    /// <param name="d">Sizes.</param>
    /// <param name="s">The stride of this round.</param>
    /// <param name="aIn">(T, B, H, k, k).</param>
    /// <param name="aOut">(T, B, H, k, k): rows r &gt;= 2s written.</param>
    /// <param name="cIn">(T, B, S).</param>
    /// <param name="cOut">(T, B, S): every row written.</param>
    public static void BlockDiagonalRound(Index1D index, RecurrentDims d, int s, ArrayView<float> aIn, ArrayView<float> aOut, ArrayView<float> cIn, ArrayView<float> cOut)
    {
        int i = index % d.Hidden, rb = index / d.Hidden, b = rb % d.Batch, r = rb / d.Batch;
        int k = d.BlockSize, kk = k * k;
        int at = rb * d.StateWidth + i;
        if (r < s)
        {
            for (int m = 0; m < k; m++) cOut[at + m * d.Hidden] = cIn[at + m * d.Hidden];
            return;
        }
        int partner = (r - s) * d.Batch + b;
        int from = partner * d.StateWidth + i;
        int block = index * kk, inner = (partner * d.Hidden + i) * kk;
        for (int m = 0; m < k; m++)
        {
            float sum = cIn[at + m * d.Hidden];
            for (int n = 0; n < k; n++) sum += aIn[block + m * k + n] * cIn[from + n * d.Hidden];
            cOut[at + m * d.Hidden] = DeviceMath.Flush(sum, DeviceMath.SmallestNormal);
        }
        if (r < 2 * s) return;
        for (int m = 0; m < k; m++)
        {
            for (int n = 0; n < k; n++)
            {
                float sum = 0f;
                for (int q = 0; q < k; q++) sum += aIn[block + m * k + q] * aIn[inner + q * k + n];
                aOut[block + m * k + n] = DeviceMath.Flush(sum, DeviceMath.BlockCutoff);
            }
        }
    }

    /// <summary>
    /// The sequential pass: one thread per (b, i) walks t = 0..T-1 from the initial state (the units of a diagonal
    /// cell never interact), writing every state into <paramref name="target"/>. Index space: B H.
    /// </summary>
    /// <param name="index">Flat (b, i).</param>
    /// <param name="d">Sizes.</param>
    /// <param name="v">The workspace's views.</param>
    /// <param name="target">(T, B, S), written.</param>
    public static void Sequential(Index1D index, RecurrentDims d, RecurrentViews v, ArrayView<float> target)
    {
        int i = index % d.Hidden, b = index / d.Hidden;
        float h = v.Initial[b * d.StateWidth + i];
        float c = d.BlockSize == 2 ? v.Initial[b * d.StateWidth + d.Hidden + i] : 0f;
        for (int t = 0; t < d.Length; t++)
        {
            var step = CellElements.Step(d, v, t, b, i, h, c);
            h = step.H;
            c = step.C;
            int at = (t * d.Batch + b) * d.StateWidth + i;
            target[at] = h;
            if (d.BlockSize == 2) target[at + d.Hidden] = c;
        }
    }

    /// <summary>
    /// The reversed adjoint chain u_0 = g_{T-1}, u_r = A_{T-r}^T u_{r-1} + g_{T-1-r} (u_r = lambda_{T-1-r}), one thread
    /// per (r, b, i): block row r &gt;= 1 is the unit's A_{T-r} transposed at the accepted states, row 0 zero; the
    /// right-hand side is the output cotangent in the h entries and zero in the c entries. Index space: T B H.
    /// </summary>
    /// <param name="index">Flat (r, b, i).</param>
    /// <param name="d">Sizes.</param>
    /// <param name="v">The workspace's views (blocks into BlocksA, right-hand side into RhsA).</param>
    /// <param name="states">(T, B, S): the accepted forward states.</param>
    public static void ReversedAdjoint(Index1D index, RecurrentDims d, RecurrentViews v, ArrayView<float> states)
    {
        int i = index % d.Hidden, rb = index / d.Hidden, b = rb % d.Batch, r = rb / d.Batch;
        int k = d.BlockSize, block = index * k * k, at = rb * d.StateWidth + i;
        v.RhsA[at] = v.Cotangent[((d.Length - 1 - r) * d.Batch + b) * d.Hidden + i];
        if (k == 2) v.RhsA[at + d.Hidden] = 0f;
        if (r == 0)
        {
            for (int e = 0; e < k * k; e++) v.BlocksA[block + e] = 0f;
            return;
        }
        int t = d.Length - r;
        float h = CellElements.Previous(d, v.Initial, states, t, b, 0, i);
        float c = k == 2 ? CellElements.Previous(d, v.Initial, states, t, b, 1, i) : 0f;
        var step = CellElements.Step(d, v, t, b, i, h, c);
        v.BlocksA[block] = step.A00;
        if (k == 1) return;
        v.BlocksA[block + 1] = step.A10;
        v.BlocksA[block + 2] = step.A01;
        v.BlocksA[block + 3] = step.A11;
    }

    /// <summary>
    /// The sequential adjoint: one thread per (b, i) walks t = T-1..0, lambda_t = g_t + A_{t+1}^T lambda_{t+1}, writing
    /// lambda_t to row T-1-t of <paramref name="lambda"/> (the layout PCR's reversed solve leaves). Index space: B H.
    /// </summary>
    /// <param name="index">Flat (b, i).</param>
    /// <param name="d">Sizes.</param>
    /// <param name="v">The workspace's views.</param>
    /// <param name="states">(T, B, S): the forward states.</param>
    /// <param name="lambda">(T, B, S): written, reversed rows.</param>
    public static void SequentialAdjoint(Index1D index, RecurrentDims d, RecurrentViews v, ArrayView<float> states, ArrayView<float> lambda)
    {
        int i = index % d.Hidden, b = index / d.Hidden;
        float carriedH = 0f, carriedC = 0f;
        for (int t = d.Length - 1; t >= 0; t--)
        {
            float lambdaH = v.Cotangent[(t * d.Batch + b) * d.Hidden + i] + carriedH, lambdaC = carriedC;
            int at = ((d.Length - 1 - t) * d.Batch + b) * d.StateWidth + i;
            lambda[at] = lambdaH;
            if (d.BlockSize == 2) lambda[at + d.Hidden] = lambdaC;
            if (t == 0) break;
            float h = CellElements.Previous(d, v.Initial, states, t, b, 0, i);
            float c = d.BlockSize == 2 ? CellElements.Previous(d, v.Initial, states, t, b, 1, i) : 0f;
            var step = CellElements.Step(d, v, t, b, i, h, c);
            carriedH = step.A00 * lambdaH + step.A10 * lambdaC;
            carriedC = step.A01 * lambdaH + step.A11 * lambdaC;
        }
    }

    /// <summary>
    /// The gate deltas of every step from the state gradients, one thread per (t, b, i): DeltaX and DeltaH at (t, b, gate
    /// rows of unit i), and at t = 0 the initial state's gradient A_0^T lambda_0 into InitialGradient. Index space: T B H.
    /// </summary>
    /// <param name="index">Flat (t, b, i).</param>
    /// <param name="d">Sizes.</param>
    /// <param name="v">The workspace's views.</param>
    /// <param name="states">(T, B, S): the forward states.</param>
    /// <param name="lambda">(T, B, S): lambda_t in row T-1-t.</param>
    public static void Deltas(Index1D index, RecurrentDims d, RecurrentViews v, ArrayView<float> states, ArrayView<float> lambda)
    {
        int i = index % d.Hidden, tb = index / d.Hidden, b = tb % d.Batch, t = tb / d.Batch;
        int at = ((d.Length - 1 - t) * d.Batch + b) * d.StateWidth + i;
        float lambdaH = lambda[at], lambdaC = d.BlockSize == 2 ? lambda[at + d.Hidden] : 0f;
        float h = CellElements.Previous(d, v.Initial, states, t, b, 0, i);
        float c = d.BlockSize == 2 ? CellElements.Previous(d, v.Initial, states, t, b, 1, i) : 0f;
        var deltas = CellElements.Backward(d, v, t, b, i, h, c, lambdaH, lambdaC);
        int g = tb * d.GateRows + i;
        v.DeltaX[g] = deltas.X0;
        v.DeltaX[g + d.Hidden] = deltas.X1;
        v.DeltaX[g + 2 * d.Hidden] = deltas.X2;
        v.DeltaH[g] = deltas.H0;
        v.DeltaH[g + d.Hidden] = deltas.H1;
        v.DeltaH[g + 2 * d.Hidden] = deltas.H2;
        if (t != 0) return;
        v.InitialGradient[b * d.StateWidth + i] = deltas.PrevH;
        if (d.BlockSize == 2) v.InitialGradient[b * d.StateWidth + d.Hidden + i] = deltas.PrevC;
    }

    /// <summary>dLoss/dx[t, b, j] = sum_g W_ih[g, j] DeltaX[t, b, g], in float64. Index space: T B I.</summary>
    /// <param name="index">Flat (t, b, j).</param>
    /// <param name="d">Sizes.</param>
    /// <param name="v">The workspace's views.</param>
    public static void InputGradient(Index1D index, RecurrentDims d, RecurrentViews v)
    {
        int j = index % d.InputSize, row = index / d.InputSize;
        double sum = 0;
        for (int g = 0; g < d.GateRows; g++) sum += (double)v.WeightIh[g * d.InputSize + j] * v.DeltaX[row * d.GateRows + g];
        v.InputGradient[index] = (float)sum;
    }

    /// <summary>
    /// Partial sums over (t, b) rows [chunk R, (chunk + 1) R) of the parameter gradients, in float64, at (chunk, g,
    /// column): columns j &lt; I are dW_ih[g, j] = sum DeltaX[., g] x[., j], then db_ih[g] = sum DeltaX, dw_hh[g] =
    /// sum DeltaH h_{t-1}, db_hh[g] = sum DeltaH. Index space: chunks 3H (I + 3).
    /// </summary>
    /// <param name="index">Flat (chunk, g, column).</param>
    /// <param name="d">Sizes.</param>
    /// <param name="v">The workspace's views.</param>
    /// <param name="states">(T, B, S): the forward states (h_{t-1} for dw_hh).</param>
    public static void ParameterPartials(Index1D index, RecurrentDims d, RecurrentViews v, ArrayView<float> states)
    {
        int columns = d.ParameterColumns;
        int column = index % columns, g = index / columns % d.GateRows, chunk = index / (columns * d.GateRows);
        int first = chunk * ChunkRows, end = XMath.Min(first + ChunkRows, d.Rows);
        int unit = g % d.Hidden;
        double sum = 0;
        for (int row = first; row < end; row++)
        {
            int at = row * d.GateRows + g;
            if (column < d.InputSize)
            {
                sum += (double)v.DeltaX[at] * v.Input[row * d.InputSize + column];
            }
            else if (column == d.InputSize)
            {
                sum += v.DeltaX[at];
            }
            else if (column == d.InputSize + 1)
            {
                int t = row / d.Batch, b = row % d.Batch;
                sum += (double)v.DeltaH[at] * CellElements.Previous(d, v.Initial, states, t, b, 0, unit);
            }
            else
            {
                sum += v.DeltaH[at];
            }
        }
        v.Partials[index] = sum;
    }

    /// <summary>Sums the partials of every chunk into the four parameter gradients. Index space: 3H (I + 3).</summary>
    /// <param name="index">Flat (g, column).</param>
    /// <param name="d">Sizes.</param>
    /// <param name="v">The workspace's views.</param>
    /// <param name="chunks">The chunks of <see cref="ParameterPartials"/>.</param>
    public static void ParameterSums(Index1D index, RecurrentDims d, RecurrentViews v, int chunks)
    {
        int columns = d.ParameterColumns, column = index % columns, g = index / columns;
        double sum = 0;
        for (int chunk = 0; chunk < chunks; chunk++) sum += v.Partials[chunk * columns * d.GateRows + index];
        if (column < d.InputSize) v.WeightIhGradient[g * d.InputSize + column] = (float)sum;
        else if (column == d.InputSize) v.BiasIhGradient[g] = (float)sum;
        else if (column == d.InputSize + 1) v.WeightHhGradient[g] = (float)sum;
        else v.BiasHhGradient[g] = (float)sum;
    }
}

using ILGPU;

namespace DeepPcr.Gpu.Kernels;

/// <summary>One step of a diagonal cell at one unit: the new (h, c) and the unit's k x k Jacobian block d(h', c')/d(h, c).</summary>
internal struct CellStep
{
    public float H;
    public float C;
    public float A00;   // dh'/dh
    public float A01;   // dh'/dc
    public float A10;   // dc'/dh
    public float A11;   // dc'/dc
}

/// <summary>The local backward pass of one step at one unit: the three gates' deltas and the gradient carried to (h, c).</summary>
internal struct CellDeltas
{
    public float X0;      // dLoss/d(input pre-activation) of gate 0, 1, 2
    public float X1;
    public float X2;
    public float H0;      // dLoss/d(w_hh h + b_hh) of gate 0, 1, 2
    public float H1;
    public float H2;
    public float PrevH;   // dLoss/dh_{t-1}
    public float PrevC;   // dLoss/dc_{t-1}
}

/// <summary>The three activated gates of one unit and the recurrent term of the third: (r, z, n) for gru-diag with q = w_hn h + b_hn; (f, g, o) for lstm-cifg-diag.</summary>
internal struct CellGates
{
    public float G0;
    public float G1;
    public float G2;
    public float Q;
}

/// <summary>
/// The per-unit bodies of the recurrent kernels: the diagonal cells' step, Jacobian block and local backward pass
/// (equations in <see cref="Recurrent.RecurrentCell"/>), in float32 with the engine's own tanh; σ(x) = (1 + tanh(x/2)) / 2.
/// </summary>
internal static class CellElements
{
    /// <summary>The previous state's h (component 0) or c (component 1) of unit i at step t: the initial state for t = 0.</summary>
    public static float Previous(RecurrentDims d, ArrayView<float> initial, ArrayView<float> states, int t, int b, int component, int i)
    {
        int offset = component * d.Hidden + i;
        return t == 0 ? initial[b * d.StateWidth + offset] : states[((t - 1) * d.Batch + b) * d.StateWidth + offset];
    }

    /// <summary>The gates of unit i at (t, b) from the previous h (the input projections read from v.Projected).</summary>
    public static CellGates Gates(RecurrentDims d, RecurrentViews v, int t, int b, int i, float h)
    {
        int hidden = d.Hidden, p = (t * d.Batch + b) * d.GateRows;
        var gates = default(CellGates);
        gates.Q = v.WeightHh[2 * hidden + i] * h + v.BiasHh[2 * hidden + i];
        float a0 = v.Projected[p + i] + v.WeightHh[i] * h + v.BiasHh[i];
        float a1 = v.Projected[p + hidden + i] + v.WeightHh[hidden + i] * h + v.BiasHh[hidden + i];
        float a2 = v.Projected[p + 2 * hidden + i];
        gates.G0 = Sigmoid(a0);
        if (d.Cell == 0)
        {
            gates.G1 = Sigmoid(a1);
            gates.G2 = DeviceMath.Tanh(a2 + gates.G0 * gates.Q);
        }
        else
        {
            gates.G1 = DeviceMath.Tanh(a1);
            gates.G2 = Sigmoid(a2 + gates.Q);
        }
        return gates;
    }

    /// <summary>The step of unit i at (t, b) from the previous (h, c).</summary>
    public static CellStep Step(RecurrentDims d, RecurrentViews v, int t, int b, int i, float h, float c)
    {
        int hidden = d.Hidden;
        float w0 = v.WeightHh[i], w1 = v.WeightHh[hidden + i], w2 = v.WeightHh[2 * hidden + i];
        var gates = Gates(d, v, t, b, i, h);
        var step = default(CellStep);
        if (d.Cell == 0)
        {
            float r = gates.G0, z = gates.G1, n = gates.G2;
            step.H = (1f - z) * n + z * h;
            float dr = r * (1f - r) * w0, dz = z * (1f - z) * w1;
            float dn = (1f - n * n) * (dr * gates.Q + r * w2);
            step.A00 = z + (h - n) * dz + (1f - z) * dn;
            return step;
        }
        float f = gates.G0, g = gates.G1, o = gates.G2;
        step.C = f * c + (1f - f) * g;
        float tc = DeviceMath.Tanh(step.C);
        step.H = o * tc;
        float slope = o * (1f - tc * tc);
        step.A10 = (c - g) * f * (1f - f) * w0 + (1f - f) * (1f - g * g) * w1;
        step.A11 = f;
        step.A00 = o * (1f - o) * w2 * tc + slope * step.A10;
        step.A01 = slope * f;
        return step;
    }

    /// <summary>The local backward pass of unit i at (t, b) from the previous (h, c) and lambda_t = dLoss/d(h_t, c_t).</summary>
    public static CellDeltas Backward(RecurrentDims d, RecurrentViews v, int t, int b, int i, float h, float c, float lambdaH, float lambdaC)
    {
        int hidden = d.Hidden;
        float w0 = v.WeightHh[i], w1 = v.WeightHh[hidden + i], w2 = v.WeightHh[2 * hidden + i];
        var gates = Gates(d, v, t, b, i, h);
        var deltas = default(CellDeltas);
        float carried = 0f;
        if (d.Cell == 0)
        {
            float r = gates.G0, z = gates.G1, n = gates.G2;
            deltas.X2 = lambdaH * (1f - z) * (1f - n * n);
            deltas.X1 = lambdaH * (h - n) * z * (1f - z);
            deltas.X0 = deltas.X2 * gates.Q * r * (1f - r);
            deltas.H2 = deltas.X2 * r;
            carried = lambdaH * z;
        }
        else
        {
            float f = gates.G0, g = gates.G1, o = gates.G2;
            float tc = DeviceMath.Tanh(f * c + (1f - f) * g);
            float totalC = lambdaC + lambdaH * o * (1f - tc * tc);
            deltas.X0 = totalC * (c - g) * f * (1f - f);
            deltas.X1 = totalC * (1f - f) * (1f - g * g);
            deltas.X2 = lambdaH * tc * o * (1f - o);
            deltas.H2 = deltas.X2;
            deltas.PrevC = totalC * f;
        }
        deltas.H0 = deltas.X0;
        deltas.H1 = deltas.X1;
        deltas.PrevH = carried + deltas.H0 * w0 + deltas.H1 * w1 + deltas.H2 * w2;
        return deltas;
    }

    /// <summary>σ(x) = (1 + tanh(x / 2)) / 2: exactly 0 or 1 far out, NaN stays NaN.</summary>
    public static float Sigmoid(float x) => 0.5f + 0.5f * DeviceMath.Tanh(0.5f * x);
}

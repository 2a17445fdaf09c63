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

    /// <summary>The step of unit i at (t, b) from the previous (h, c).</summary>
    public static CellStep Step(RecurrentDims d, RecurrentViews v, int t, int b, int i, float h, float c)
    {
        int hidden = d.Hidden, p = (t * d.Batch + b) * d.GateRows;
        float w0 = v.WeightHh[i], w1 = v.WeightHh[hidden + i], w2 = v.WeightHh[2 * hidden + i];
        float a0 = v.Projected[p + i] + w0 * h + v.BiasHh[i];
        float a1 = v.Projected[p + hidden + i] + w1 * h + v.BiasHh[hidden + i];
        float q = w2 * h + v.BiasHh[2 * hidden + i];
        var step = default(CellStep);
        if (d.Cell == 0)
        {
            float r = Sigmoid(a0), z = Sigmoid(a1);
            float n = DeviceMath.Tanh(v.Projected[p + 2 * hidden + i] + r * q);
            step.H = (1f - z) * n + z * h;
            float dr = r * (1f - r) * w0, dz = z * (1f - z) * w1;
            float dn = (1f - n * n) * (dr * q + r * w2);
            step.A00 = z + (h - n) * dz + (1f - z) * dn;
            return step;
        }
        float f = Sigmoid(a0), g = DeviceMath.Tanh(a1), o = Sigmoid(v.Projected[p + 2 * hidden + i] + q);
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
        int hidden = d.Hidden, p = (t * d.Batch + b) * d.GateRows;
        float w0 = v.WeightHh[i], w1 = v.WeightHh[hidden + i], w2 = v.WeightHh[2 * hidden + i];
        float a0 = v.Projected[p + i] + w0 * h + v.BiasHh[i];
        float a1 = v.Projected[p + hidden + i] + w1 * h + v.BiasHh[hidden + i];
        float q = w2 * h + v.BiasHh[2 * hidden + i];
        var deltas = default(CellDeltas);
        if (d.Cell == 0)
        {
            float r = Sigmoid(a0), z = Sigmoid(a1);
            float n = DeviceMath.Tanh(v.Projected[p + 2 * hidden + i] + r * q);
            deltas.X2 = lambdaH * (1f - z) * (1f - n * n);
            deltas.X1 = lambdaH * (h - n) * z * (1f - z);
            deltas.X0 = deltas.X2 * q * r * (1f - r);
            deltas.H2 = deltas.X2 * r;
        }
        else
        {
            float f = Sigmoid(a0), g = DeviceMath.Tanh(a1), o = Sigmoid(v.Projected[p + 2 * hidden + i] + q);
            float tc = DeviceMath.Tanh(f * c + (1f - f) * g);
            float totalC = lambdaC + lambdaH * o * (1f - tc * tc);
            deltas.X0 = totalC * (c - g) * f * (1f - f);
            deltas.X1 = totalC * (1f - f) * (1f - g * g);
            deltas.X2 = lambdaH * tc * o * (1f - o);
            deltas.H2 = deltas.X2;
            deltas.PrevC = totalC * f;
            deltas.PrevH = 0f;
        }
        deltas.H0 = deltas.X0;
        deltas.H1 = deltas.X1;
        deltas.PrevH = (d.Cell == 0 ? lambdaH * Sigmoid(a1) : 0f) + deltas.H0 * w0 + deltas.H1 * w1 + deltas.H2 * w2;
        return deltas;
    }

    /// <summary>σ(x) = (1 + tanh(x / 2)) / 2: exactly 0 or 1 far out, NaN stays NaN.</summary>
    public static float Sigmoid(float x) => 0.5f + 0.5f * DeviceMath.Tanh(0.5f * x);
}
